/**
 * Alerts (issue 13): the latency from an alarm record committed in an agent's buffer to the
 * webhook received (agent buffer → SyncClient with the default sync settings → relay → alerts →
 * webhook channel → a local receiver), the outbox's throughput to a local webhook receiver, and
 * the storm reduction (10,000 alarm records in one minute → messages per recipient). Prints,
 * asserts nothing. Run: node bin/run-ts.mjs test/bench/alerts.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { SyncClient } from '../../agent/sync/client.ts';
import { syncConfigSchema } from '../../agent/sync/schema.ts';
import { ackKey } from '../../cloud/alerts/ack-token.ts';
import { alertsConfigSchema } from '../../cloud/alerts/config.ts';
import { Dispatcher } from '../../cloud/alerts/dispatcher.ts';
import { AlertEngine } from '../../cloud/alerts/engine.ts';
import { messageKey } from '../../cloud/alerts/messages.ts';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { GatewaySecrets } from '../../cloud/ingest/gateway-secrets.ts';
import { Relay } from '../../cloud/main.ts';
import { newRelayKey, parseRelayKey } from '../../cloud/secrets.ts';
import type { NewMessage } from '../../cloud/store/alerts-types.ts';
import { createRelayDatabase } from '../../cloud/store/index.ts';
import { WebhookChannel } from '../../platform/notify/webhook.ts';
import { systemClock } from '../../protocols/clock.ts';
import type { NewRecord } from '../../protocols/records.ts';
import { secretBytes } from '../../protocols/sync/signature.ts';
import { alarmRecord, FakeClock, Receiver } from '../integration/alerts-setup.ts';
import { fmt, machineLine, out } from './common.ts';

const silent = pino({ level: 'silent' });
const TRANSITIONS = 60;
const OUTBOX_MESSAGES = 3000;
const STORM_RECORDS = Number(process.env['STORM'] ?? 10_000);
const BOOT_ID = '5f1c3b1e-0d6e-4a43-9f0e-1d2c3b4a5e6f';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-bench-alerts-'));

const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

async function latency(): Promise<void> {
  const receiver = new Receiver();
  const hook = await receiver.start();
  const key = newRelayKey();
  const config = parseRelayConfig({
    listen: { host: '127.0.0.1', port: 0 },
    storage: { kind: 'sqlite', path: path.join(dir, 'latency.db') },
    alerts: {
      enabled: true,
      channels: { webhook: {} },
      silentAfterMinutes: 0,
      digest: { maxPerWindow: 1000 },
      groups: { g: { members: [{ name: 'hook', webhook: `${hook}/g` }] } },
      rules: [{ name: 'all', groups: ['g'], notifyClose: true }],
    },
  });
  const relay = new Relay(config, { logger: silent, env: { ATALAYA_RELAY_KEY: key }, anchorSchedule: false });
  await relay.start();
  const secret = await new GatewaySecrets({ store: relay.store, key: parseRelayKey(key, 'bench'), logger: silent }).provision('gw-bench', Date.now());
  const buffer = new RecordBuffer({ path: path.join(dir, 'agent.db'), clock: systemClock, logger: silent, maxBytes: 2 ** 28 });
  buffer.start();
  const sync = syncConfigSchema.parse({ url: `http://127.0.0.1:${relay.address.port}` });
  const client = new SyncClient({
    config: { ...sync, url: sync.url ?? '' },
    gatewayId: 'gw-bench',
    secret: secretBytes(secret),
    buffer,
    clock: systemClock,
    bootId: BOOT_ID,
    clockSynced: () => true,
    logger: silent,
  });
  client.start();
  const samples: number[] = [];
  try {
    for (let i = 0; i < TRANSITIONS; i += 1) {
      const state = i % 2 === 0 ? 'raised' : 'cleared';
      const {
        gateway: _g,
        seq: _s,
        hash: _h,
        tsCorrected: _t,
        ...record
      } = alarmRecord('gw-bench', i + 1, { rule: 'high2', level: 'alarm', state, threshold: 20 }, { ts: Date.now(), bootId: BOOT_ID });
      const before = receiver.received.length;
      await buffer.append([record as NewRecord]);
      const committed = performance.now();
      const deadline = committed + 30_000;
      while (receiver.received.length === before) {
        if (performance.now() > deadline) throw new Error(`transition ${i}: no webhook within 30 s`);
        await new Promise((r) => setTimeout(r, 2));
      }
      samples.push(performance.now() - committed);
    }
  } finally {
    await client.stop();
    await buffer.stop();
    await relay.stop();
    await receiver.stop();
  }
  samples.sort((a, b) => a - b);
  out(
    `alarm record committed at the agent → webhook received (default sync settings, ${TRANSITIONS} transitions): p50 ${fmt(pct(samples, 50))} ms, p99 ${fmt(pct(samples, 99))} ms, max ${fmt(samples.at(-1) ?? 0)} ms`,
  );
}

async function throughput(concurrency: number): Promise<void> {
  const receiver = new Receiver();
  const hook = await receiver.start();
  const db = createRelayDatabase({ kind: 'sqlite', path: path.join(dir, `outbox-${concurrency}.db`) }, silent);
  await db.start();
  const now = Date.now();
  const messages: NewMessage[] = Array.from({ length: OUTBOX_MESSAGES }, (_, i) => {
    const k = messageKey(['bench', concurrency, i]);
    return {
      key: k,
      alertId: null,
      rule: 'r',
      messageKind: 'test',
      group: 'g',
      recipient: 'm',
      channel: 'webhook',
      address: `${hook}/t`,
      severity: 'alarm',
      state: 'queued',
      nextAttemptAt: now,
      payload: JSON.stringify({ key: k, eventId: `e${i}`, severity: 'alarm', title: `m${i}`, text: 'bench', at: now, facts: {} }),
    };
  });
  await db.alerts.enqueue(messages, now, 'bench');
  const config = alertsConfigSchema.parse({ sendConcurrency: concurrency });
  const channel = new WebhookChannel({
    config: { preset: 'generic', headers: {}, secretEnv: 'X', timeoutMs: 10_000 },
    secret: 'bench-secret',
    clock: systemClock,
  });
  const dispatcher = new Dispatcher({
    config,
    store: db.alerts,
    channels: new Map([['webhook', channel]]),
    clock: systemClock,
    logger: silent,
    instance: 'bench',
    pollMs: 20,
  });
  const started = performance.now();
  await dispatcher.start();
  while (receiver.received.length < OUTBOX_MESSAGES) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - started) / 1000;
  await dispatcher.stop();
  await channel.close();
  await db.stop();
  await receiver.stop();
  out(
    `outbox → local webhook receiver, SQLite, sendConcurrency ${concurrency}: ${fmt(OUTBOX_MESSAGES / seconds)} notifications/s (${OUTBOX_MESSAGES} signed webhooks, claim + send + record each)`,
  );
}

async function storm(): Promise<void> {
  const receiver = new Receiver();
  const hook = await receiver.start();
  const clock = new FakeClock(Date.now());
  const db = createRelayDatabase({ kind: 'sqlite', path: path.join(dir, 'storm.db') }, silent);
  await db.start();
  await db.records.addGateway('gw-storm', 'x', clock.now());
  const config = alertsConfigSchema.parse({
    enabled: true,
    channels: { webhook: {} },
    silentAfterMinutes: 0,
    groups: { a: { members: [{ name: 'ana', webhook: `${hook}/ana` }] }, b: { members: [{ name: 'luis', webhook: `${hook}/luis` }] } },
    rules: [{ name: 'all', groups: ['a', 'b'] }],
  });
  const engine = new AlertEngine({ config, store: db.alerts, records: db.records, ackKey: ackKey(Buffer.alloc(32)), clock, logger: silent, instance: 'bench' });
  const channel = new WebhookChannel({ config: { preset: 'generic', headers: {}, secretEnv: 'X', timeoutMs: 10_000 }, clock });
  const dispatcher = new Dispatcher({
    config,
    store: db.alerts,
    channels: new Map([['webhook', channel]]),
    clock,
    logger: silent,
    instance: 'bench',
    pollMs: 20,
  });
  const started = performance.now();
  // 10,000 raises on 10,000 channels over one minute: a batch every 6 s, a pass after each.
  const perBatch = STORM_RECORDS / 10;
  for (let b = 0; b < 10; b += 1) {
    const records = Array.from({ length: perBatch }, (_, i) =>
      alarmRecord('gw-storm', b * perBatch + i + 1, { rule: 'high2', level: 'alarm', state: 'raised', threshold: 20 }, { channel: `ch-${b * perBatch + i}` }),
    );
    await db.records.ingest({ gateway: 'gw-storm', records, now: clock.now(), clockOffsetMs: 0 });
    await engine.pass();
    while (await dispatcher.sendOne('webhook'));
    clock.advance(6000);
  }
  clock.advance(config.digest.windowMinutes * 60_000);
  await engine.pass();
  // A keep-alive connection the receiver closed meanwhile fails once (ECONNRESET): retried after the back-off.
  for (let round = 0; round < 5; round += 1) {
    while (await dispatcher.sendOne('webhook'));
    clock.advance(config.backoffMs.max);
  }
  const seconds = (performance.now() - started) / 1000;
  const ana = receiver.to('/ana');
  const digested = ana.filter((r) => r.body.facts['kind'] === 'digest').reduce((n, r) => n + Number(r.body.facts['count'] ?? 0), 0);
  const direct = ana.filter((r) => r.body.facts['kind'] !== 'digest').length;
  out(
    `storm: ${fmt(STORM_RECORDS)} alarm records in one minute → ${ana.length} messages per recipient (${direct} direct + ${ana.length - direct} digest(s) counting ${fmt(digested)}; ${fmt(direct + digested)} accounted for), reduction ${fmt(STORM_RECORDS / ana.length)}:1; processed in ${fmt(seconds, 1)} s`,
  );
  await channel.close();
  await db.stop();
  await receiver.stop();
}

out(machineLine());
try {
  if (process.env['STORM'] === undefined) {
    await latency();
    await throughput(1);
    await throughput(4);
  }
  await storm();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
