/**
 * A buffer file written before append ran the record check may hold rows the wire refuses
 * (issue 12). The sync moves them to the quarantine table once, logged with their code and
 * counted; they are never sent, survive a restart, and the other records flow on.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Sqlite from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { SyncClient } from '../../agent/sync/client.ts';
import { systemClock } from '../../protocols/clock.ts';
import type { NewRecord } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';
import { ATALAYA_RECORD_INVALID } from '../../protocols/records-errors.ts';
import { decodeBatch } from '../../protocols/sync/batch.ts';
import { isSyncError } from '../../protocols/sync/errors.ts';
import { waitFor } from '../helpers/wait.ts';

const GATEWAY = 'gw-q';
const SECRET = Buffer.alloc(32, 5);
const BOOT = 'b0a1c2d3-0000-4000-8000-0000000000bb';
/** Recent: the buffer ages out records older than its maxAgeDays. */
const NOW = Date.now();

/** A relay on port 0 that decodes each batch as cloud/ingest does and acknowledges it; counts what it refused. */
class Relay {
  readonly seqs: number[] = [];
  refused = 0;
  private server: http.Server | undefined;

  async listen(): Promise<number> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let seqs: number[];
        try {
          seqs = decodeBatch(Buffer.concat(chunks)).records.map((r) => r.seq);
        } catch (err) {
          if (!isSyncError(err)) throw err;
          this.refused++;
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'malformed', message: 'malformed' }));
          return;
        }
        this.seqs.push(...seqs);
        const ack = {
          gateway: GATEWAY,
          stored: seqs.length,
          duplicates: 0,
          acknowledged: seqs.map((s) => [s, s]),
          highestSeq: Math.max(0, ...this.seqs),
          relayTime: Date.now(),
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ack));
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function reading(i: number): NewRecord {
  return {
    kind: 'reading',
    device: 'gas-1',
    channel: 'ch4',
    value: i,
    unit: '%LEL',
    quality: 'good',
    exception: null,
    ts: NOW + i * 1000,
    mono: 60_000 + i * 1000,
    bootId: BOOT,
    priority: PRIORITY.ordinary,
    flags: 0,
  };
}

let dir: string;
let file: string;
let relay: Relay;
let port: number;
let buffer: RecordBuffer | undefined;
let sync: SyncClient | undefined;
let lines: Array<Record<string, unknown>>;

const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _enc, done): void {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  }),
);

function open(): { buffer: RecordBuffer; sync: SyncClient } {
  buffer = new RecordBuffer({ path: file, commitIntervalMs: 0, clock: systemClock, logger });
  buffer.start();
  sync = new SyncClient({
    config: {
      url: `http://127.0.0.1:${port}`,
      batchRecords: 50,
      batchBytes: 1_048_576,
      timeoutMs: 5000,
      idleMs: 50,
      backoff: { initialMs: 20, maxMs: 200, factor: 2, jitter: 0.2 },
    },
    gatewayId: GATEWAY,
    secret: SECRET,
    buffer,
    clock: systemClock,
    bootId: BOOT,
    clockSynced: () => true,
    logger,
  });
  sync.start();
  return { buffer, sync };
}

async function close(): Promise<void> {
  await sync?.stop();
  sync = undefined;
  await buffer?.stop();
  buffer = undefined;
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-quarantine-'));
  file = path.join(dir, 'buffer.db');
  lines = [];
  relay = new Relay();
  port = await relay.listen();
});

afterEach(async () => {
  await close();
  await relay.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Five readings, then rows 2 and 4 altered as an agent before the record check could have written
 * them: a unit of 40 characters (the old append took any string) and a negative mono (any integer).
 */
async function olderFile(): Promise<void> {
  const b = new RecordBuffer({ path: file, commitIntervalMs: 0, clock: systemClock, logger: pino({ level: 'silent' }) });
  b.start();
  await b.append([1, 2, 3, 4, 5].map(reading));
  await b.stop();
  const db = new Sqlite(file);
  try {
    const unit = Number(db.prepare('INSERT INTO names (name) VALUES (?)').run('u'.repeat(40)).lastInsertRowid);
    db.prepare('UPDATE records_ordinary SET unit = ? WHERE seq = 2').run(unit);
    db.prepare('UPDATE records_ordinary SET mono = -5000 WHERE seq = 4').run();
  } finally {
    db.close();
  }
}

const quarantineLines = (): Array<Record<string, unknown>> => lines.filter((l) => l['code'] === ATALAYA_RECORD_INVALID);

describe('rows of an older buffer file that the wire refuses', () => {
  it('are quarantined once with their code, never sent, and the rest of the buffer is', async () => {
    await olderFile();
    const first = open();
    await waitFor(() => first.buffer.stats().count === 0, 'the buffer drained');
    expect(relay.seqs).toEqual([1, 3, 5]);
    expect(relay.refused).toBe(0);
    expect(first.buffer.quarantined()).toBe(2);
    expect(first.sync.status()).toMatchObject({ quarantinedRecords: 2, lagRecords: 0, lastError: null });
    expect(quarantineLines().map((l) => [l['seq'], l['path']])).toEqual([
      [2, 'unit'],
      [4, 'mono'],
    ]);
    await close();

    // After a restart: still counted, not logged again, not sent; new records flow.
    const db = new Sqlite(file, { readonly: true });
    try {
      expect(db.prepare('SELECT seq, path FROM quarantine ORDER BY seq').raw().all()).toEqual([
        [2, 'unit'],
        [4, 'mono'],
      ]);
    } finally {
      db.close();
    }
    const second = open();
    expect(second.buffer.quarantined()).toBe(2);
    await second.buffer.append([reading(6)]);
    await waitFor(() => relay.seqs.includes(6) && second.buffer.stats().count === 0, 'the new record sent');
    expect(relay.seqs).toEqual([1, 3, 5, 6]);
    expect(second.sync.status()).toMatchObject({ quarantinedRecords: 2 });
    expect(quarantineLines()).toHaveLength(2);
  });
});
