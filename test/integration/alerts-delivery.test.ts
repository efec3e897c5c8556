import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alertsConfigSchema } from '../../cloud/alerts/config.ts';
import { Dispatcher } from '../../cloud/alerts/dispatcher.ts';
import { messageKey } from '../../cloud/alerts/messages.ts';
import type { NewMessage } from '../../cloud/store/alerts-types.ts';
import { createRelayDatabase, type RelayDatabase, type StoreConfig } from '../../cloud/store/index.ts';
import { systemClock } from '../../protocols/clock.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { Receiver, TestWebhookChannel } from './alerts-setup.ts';

/**
 * The outbox's promises across processes: a sender SIGKILLed mid-send resends at most the message
 * it was sending, with the same key, and loses none; two relays on one PostgreSQL send each
 * message once.
 */
let dir: string;
let postgres: TestPostgres | undefined;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-alerts-delivery-'));
  postgres = await startPostgres();
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

afterAll(async () => {
  await postgres?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

let files = 0;
const backends = [
  ['sqlite', async (): Promise<StoreConfig> => ({ kind: 'sqlite', path: path.join(dir, `relay-${++files}.db`) })],
  ['postgres', async (): Promise<StoreConfig> => ({ kind: 'postgres', url: await postgres!.newDatabase() })],
] as const;

function messages(url: string, n: number): NewMessage[] {
  return Array.from({ length: n }, (_, i) => {
    const key = messageKey(['test', i]);
    return {
      key,
      alertId: null,
      rule: 'r',
      messageKind: 'test',
      group: 'g',
      recipient: 'm',
      channel: 'webhook',
      address: `${url}/hook`,
      severity: 'alarm',
      state: 'queued',
      nextAttemptAt: 0,
      payload: JSON.stringify({ key, eventId: `e${i}`, severity: 'alarm', title: `m${i}`, text: '', at: 0, facts: {} }),
    };
  });
}

async function open(storage: StoreConfig): Promise<RelayDatabase> {
  const db = createRelayDatabase(storage, testLogger());
  await db.start();
  cleanups.push(() => db.stop());
  return db;
}

async function until(check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function spawnSender(storage: StoreConfig, instance: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'alerts-sender-child.ts'), JSON.stringify(storage), instance, '1000'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  cleanups.push(async () => void child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`sender exited ${code}`)));
  });
}

describe.each(backends)('the outbox on %s', (_name, storage) => {
  it('a sender SIGKILLed mid-send, again and again, delivers every message; only the one in flight at a kill comes twice', async () => {
    const receiver = new Receiver();
    const url = await receiver.start();
    cleanups.push(() => receiver.stop());
    receiver.delayMs = 100;
    const config = await storage();
    const db = await open(config);
    const N = 30;
    await db.alerts.enqueue(messages(url, N), Date.now(), 'test');
    let kills = 0;
    const order: string[] = [];
    const inFlight: string[] = [];
    receiver.onReceived = (r) => order.push(r.key);
    while (new Set(order).size < N && kills < 8) {
      const child = await spawnSender(config, `sender-${kills}`);
      // Kill it while a request is in flight: right after the receiver counted one.
      const seen = order.length;
      await until(() => order.length > seen + 2 || new Set(order).size === N);
      child.kill('SIGKILL');
      // With one message in flight per channel and the receiver answering 100 ms late, the last
      // one counted is the one the killed sender was waiting on.
      const last = order.at(-1);
      if (last !== undefined) inFlight.push(last);
      await new Promise((r) => child.once('exit', r));
      kills += 1;
    }
    const last = await spawnSender(config, 'sender-last');
    await until(() => new Set(order).size === N);
    await until(async () => (await db.alerts.deliveryCounts()).every((c) => c.state === 'sent'));
    last.kill('SIGTERM');
    await new Promise((r) => last.once('exit', r));

    expect(new Set(order).size).toBe(N);
    const duplicates = order.length - N;
    expect(duplicates).toBeLessThanOrEqual(kills);
    // Only a message in flight at a kill came twice, and once more per kill at most.
    const counts = new Map<string, number>();
    for (const k of order) counts.set(k, (counts.get(k) ?? 0) + 1);
    for (const [k, c] of counts) expect(c, k).toBeLessThanOrEqual(1 + inFlight.filter((f) => f === k).length);
    expect(kills).toBeGreaterThan(2);
  }, 120_000);
});

describe('two relays on one PostgreSQL', () => {
  it('send each message once', async () => {
    const receiver = new Receiver();
    const url = await receiver.start();
    cleanups.push(() => receiver.stop());
    receiver.delayMs = 5;
    const storage: StoreConfig = { kind: 'postgres', url: await postgres!.newDatabase() };
    const a = await open(storage);
    const b = await open(storage);
    const N = 200;
    await a.alerts.enqueue(messages(url, N), Date.now(), 'test');
    const config = alertsConfigSchema.parse({ sendConcurrency: 4 });
    const senders = [a, b].map(
      (db, i) =>
        new Dispatcher({
          config,
          store: db.alerts,
          channels: new Map([['webhook', new TestWebhookChannel()]]),
          clock: systemClock,
          logger: testLogger(),
          instance: `relay-${i}`,
          pollMs: 10,
        }),
    );
    for (const s of senders) {
      await s.start();
      cleanups.push(() => s.stop());
    }
    await until(async () => (await a.alerts.deliveryCounts()).every((c) => c.state === 'sent'));
    expect(receiver.received).toHaveLength(N);
    expect(new Set(receiver.received.map((r) => r.key)).size).toBe(N);
    const by = new Set<string>();
    for (const m of messages(url, N)) for (const d of await a.alerts.deliveriesOfKey(m.key)) by.add(d.instance);
    expect([...by].sort()).toEqual(['relay-0', 'relay-1', 'test']);
  }, 60_000);
});
