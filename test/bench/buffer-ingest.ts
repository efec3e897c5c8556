/**
 * Ingest benchmark of the SQLite buffer: prints figures, asserts nothing.
 * Run: node --import tsx test/bench/buffer-ingest.ts [records]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import type { Durability } from '../../agent/buffer/options.ts';
import { systemClock } from '../../protocols/clock.ts';
import type { NewRecord } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';

const PRODUCERS = 50;
const RECORDS_PER_APPEND = 100;
const CHANNELS = ['concentration', 'temperature', 'flow', 'totalizer', 'level', 'status', 'signal', 'voltage'];

export interface IngestResult {
  durability: Durability;
  records: number;
  recordsPerSecond: number;
  bytesPerRecord: number;
  readPerSecond: number;
}

/** A poll's worth of records of one device: values with 2 decimals, like scaled registers. */
function makeAppend(producer: number, round: number, bootId: string): NewRecord[] {
  const out: NewRecord[] = [];
  const ts = 1_750_000_000_000 + round * 1000;
  for (let i = 0; i < RECORDS_PER_APPEND; i++) {
    const channel = CHANNELS[i % CHANNELS.length] ?? 'x';
    const dga = channel === 'flow' || channel === 'totalizer' || channel === 'level';
    out.push({
      kind: 'reading',
      device: `dev-${producer}-${Math.floor(i / CHANNELS.length)}`,
      channel,
      value: Math.round(Math.random() * 100_000) / 100,
      unit: dga ? 'L/s' : 'ppm',
      quality: 'good',
      exception: null,
      ts: ts + i,
      mono: 5_000_000 + round * 1000 + i,
      bootId,
      priority: dga ? PRIORITY.dga : PRIORITY.ordinary,
      flags: 0,
    });
  }
  return out;
}

export async function ingest(durability: Durability, total: number): Promise<IngestResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-bench-'));
  const file = path.join(dir, 'buffer.db');
  try {
    const buffer = new RecordBuffer({ path: file, durability, clock: systemClock, logger: pino({ level: 'silent' }) });
    buffer.start();
    const rounds = Math.ceil(total / (PRODUCERS * RECORDS_PER_APPEND));
    // Built up front so the figure is the buffer's, not the generator's.
    const work = Array.from({ length: PRODUCERS }, (_, p) =>
      Array.from({ length: rounds }, (_, r) => makeAppend(p, r, '5f1c3b1e-0d6e-4a43-9f0e-1d2c3b4a5e6f')),
    );
    const started = performance.now();
    await Promise.all(
      work.map(async (appends) => {
        for (const records of appends) await buffer.append(records);
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const count = buffer.stats().count;

    const readStarted = performance.now();
    let after = 0;
    let read = 0;
    for (;;) {
      const page = buffer.readAfter(after, 1000);
      const last = page.at(-1);
      if (last === undefined) break;
      read += page.length;
      after = last.seq;
    }
    const readElapsed = (performance.now() - readStarted) / 1000;

    // Closing the last connection checkpoints the WAL into the file and removes it.
    await buffer.stop();
    const bytes = ['', '-wal', '-shm'].reduce((sum, suffix) => sum + (fs.existsSync(file + suffix) ? fs.statSync(file + suffix).size : 0), 0);
    return { durability, records: count, recordsPerSecond: count / elapsed, bytesPerRecord: bytes / count, readPerSecond: read / readElapsed };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(total = 500_000): Promise<IngestResult[]> {
  const cpus = os.cpus();
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(
    `machine: ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}, ${os.platform()} ${os.release()}`,
  );
  out(`buffer ingest: ${total} records, ${PRODUCERS} producers appending ${RECORDS_PER_APPEND} records each, default group commit (50 ms / 5000 rows)`);
  const results: IngestResult[] = [];
  for (const durability of ['normal', 'full'] as const) {
    const r = await ingest(durability, total);
    results.push(r);
    out(
      `  durability=${r.durability.padEnd(6)} ${Math.round(r.recordsPerSecond).toLocaleString('en-US').padStart(9)} records/s ingest, ` +
        `${r.bytesPerRecord.toFixed(1)} bytes/record on disk, ${Math.round(r.readPerSecond).toLocaleString('en-US')} records/s readAfter(1000)`,
    );
  }
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const total = Number(process.argv[2] ?? 500_000);
  main(total).catch((err: unknown) => {
    process.stderr.write(`${String(err instanceof Error ? err.stack : err)}\n`);
    process.exitCode = 1;
  });
}
