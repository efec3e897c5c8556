import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ActiveAlarm } from '../../agent/alarms/engine.ts';
import type { CommittedListener } from '../../agent/buffer/buffer.ts';
import { DeviceHealth } from '../../agent/modbus/health.ts';
import { hashStatusToken } from '../../agent/status/auth.ts';
import { StatusServer } from '../../agent/status/server.ts';
import type { RegisterRead, StatusBuffer, StatusSources } from '../../agent/status/sources.ts';
import type { Clock } from '../../protocols/clock.ts';
import { PRIORITY, type RecordKind, type StoredRecord } from '../../protocols/records.ts';
import { testLogger } from '../helpers/logger.ts';

export const TOKEN = 'ats_test-token-0123456789';
export const NOW = 1_750_000_000_000;

/** An in-memory buffer: `commit` plays a group commit to the listeners. */
export class FakeBuffer implements StatusBuffer {
  readonly stored: StoredRecord[] = [];
  private readonly listeners = new Set<CommittedListener>();
  private seq = 0;

  stats() {
    return {
      count: this.stored.length,
      bytes: 4096,
      oldestTs: this.stored[0]?.ts ?? null,
      lastSeq: this.seq,
      evicted: { ordinary: 0, dga: 0, alarm: 0 },
      pending: 0,
      health: { state: 'writable' as const, failedCommits: 0, lostRecords: 0, lastErrorCode: null, since: null, freeBytes: null, reserveActive: false },
    };
  }

  latest(): StoredRecord[] {
    const m = new Map<string, StoredRecord>();
    for (const r of this.stored) if (r.kind === 'reading') m.set(`${r.device}/${r.channel}`, r);
    return [...m.values()].sort((a, b) => a.seq - b.seq);
  }

  readAfter(after: number, limit: number, kind?: RecordKind): StoredRecord[] {
    return this.stored.filter((r) => r.seq > after && (kind === undefined || r.kind === kind)).slice(0, limit);
  }

  on(_event: 'committed', l: CommittedListener): void {
    this.listeners.add(l);
  }

  off(_event: 'committed', l: CommittedListener): void {
    this.listeners.delete(l);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  commit(...records: Array<Partial<StoredRecord> & Pick<StoredRecord, 'device' | 'channel'>>): StoredRecord[] {
    const out = records.map(
      (r): StoredRecord => ({
        kind: 'reading',
        value: 1,
        unit: 'u',
        quality: 'good',
        exception: null,
        ts: NOW - 500,
        mono: 1,
        bootId: 'b',
        priority: PRIORITY.ordinary,
        flags: 0,
        ...r,
        seq: ++this.seq,
      }),
    );
    this.stored.push(...out);
    for (const l of this.listeners) l(out);
    return out;
  }
}

export interface Fixture {
  readonly server: StatusServer;
  readonly buffer: FakeBuffer;
  readonly acked: string[];
  readonly health: DeviceHealth;
  readonly dir: string;
  active: ActiveAlarm[];
  read: RegisterRead;
  close(): Promise<void>;
}

export const fixedClock: Clock = { now: () => NOW, monotonic: () => 10_000 };

/** A status server on loopback port 0 over fake sources: device `gas` on Modbus TCP, `det-9` seen over MQTT. */
export async function startFixture(tokens: readonly string[] = [hashStatusToken(TOKEN)]): Promise<Fixture> {
  const dir = mkdtempSync(path.join(tmpdir(), 'atalaya-status-'));
  const ui = path.join(dir, 'ui');
  mkdirSync(ui);
  writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>status</title>');
  writeFileSync(path.join(ui, 'app.js'), 'console.log(1);');
  writeFileSync(path.join(ui, 'app.css'), 'body{}');
  writeFileSync(path.join(ui, 'api.js'), 'export const api = 1;');
  const buffer = new FakeBuffer();
  const health = new DeviceHealth({ failuresBeforeBackoff: 3, initialMs: 1000, maxMs: 10_000 });
  const f: Fixture = {
    buffer,
    health,
    dir,
    acked: [],
    active: [],
    read: async (_unit, _table, _address, count) => Array.from({ length: count }, (_, i) => i),
    server: undefined as unknown as StatusServer,
    close: async () => {
      await f.server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const sources: StatusSources = {
    gatewayId: 'gw-unit',
    bootId: 'boot-1',
    buffer,
    bufferPath: path.join(dir, 'buffer.db'),
    devices: [{ id: 'gas', profile: 'gas-detector', transport: 'tcp', address: '10.0.0.5:502', unitId: 3, intervalMs: 1000 }],
    health: (id) => (id === 'gas' ? health : undefined),
    registers: (id) => (id === 'gas' ? (...args) => f.read(...args) : undefined),
    alarms: {
      active: () => f.active,
      acknowledge: (device, channel, rule) => {
        const key = `${device}/${channel}/${rule}`;
        if (!f.active.some((a) => `${a.device}/${a.channel}/${a.rule}` === key && a.state === 'raised')) return undefined;
        f.acked.push(key);
        return {};
      },
    },
    sync: () => null,
    broker: () => null,
    clockSynced: () => true,
    metrics: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: 'atalaya_test 1\n' }),
  };
  (f as { server: StatusServer }).server = new StatusServer({
    listen: { host: '127.0.0.1', port: 0 },
    tokens,
    sources,
    clock: fixedClock,
    logger: testLogger(),
    uiDir: ui,
  });
  await f.server.start();
  return f;
}

export const bearer = { authorization: `Bearer ${TOKEN}` };
