import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordBuffer } from '../../agent/buffer/buffer.ts';
import { SyncClient } from '../../agent/sync/client.ts';
import { syncConfigSchema } from '../../agent/sync/schema.ts';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { GatewaySecrets } from '../../cloud/ingest/gateway-secrets.ts';
import { Relay } from '../../cloud/main.ts';
import { newRelayKey, parseRelayKey } from '../../cloud/secrets.ts';
import { NOTIFY_SMTP_AUTH } from '../../platform/notify/errors.ts';
import { systemClock } from '../../protocols/clock.ts';
import type { NewRecord } from '../../protocols/records.ts';
import { secretBytes } from '../../protocols/sync/signature.ts';
import { header, SmtpSink } from '../helpers/smtp-sink.ts';
import { alarmRecord, Receiver } from './alerts-setup.ts';

/**
 * An alarm record committed in a real agent buffer reaches people: SyncClient (default sync
 * settings) → relay → alerts → a real SMTP server not written here (aiosmtpd) and a real HTTP
 * receiver checking the HMAC. And an SMTP server refusing the relay's credentials: the message is
 * given up, visible, and the relay keeps running.
 */
const silent = pino({ level: process.env['ATALAYA_TEST_LOG'] ?? 'silent' });
const BOOT_ID = '5f1c3b1e-0d6e-4a43-9f0e-1d2c3b4a5e6f';
const SECRET = 'e2e-webhook-secret';
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function until<T>(fn: () => T | undefined | Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function start(smtp: { port: number; user?: string }, env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-alerts-e2e-'));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const receiver = new Receiver();
  receiver.secret = SECRET;
  const hook = await receiver.start();
  cleanups.push(() => receiver.stop());
  const key = newRelayKey();
  const config = parseRelayConfig({
    listen: { host: '127.0.0.1', port: 0 },
    storage: { kind: 'sqlite', path: path.join(dir, 'relay.db') },
    alerts: {
      enabled: true,
      tickMs: 500,
      backoffMs: { base: 100, max: 1000 },
      maxAttempts: 4,
      channels: {
        email: {
          host: '127.0.0.1',
          port: smtp.port,
          security: 'none',
          from: 'atalaya@relay.example.cl',
          ...(smtp.user === undefined ? {} : { user: smtp.user }),
        },
        webhook: {},
      },
      groups: {
        guardia: { members: [{ name: 'ana', email: 'ana@example.cl', webhook: `${hook}/guardia` }] },
        sur: { members: [{ name: 'eva', email: 'eva@example.cl', webhook: `${hook}/sur` }] },
      },
      rules: [
        { name: 'gas', kinds: ['alarm'], subjects: ['pozo-norte-01/*'], groups: ['guardia'] },
        { name: 'south', kinds: ['alarm'], subjects: ['pozo-sur-*/*'], groups: ['sur'] },
      ],
    },
  });
  const relay = new Relay(config, { logger: silent, env: { ATALAYA_RELAY_KEY: key, ATALAYA_WEBHOOK_SECRET: SECRET, ...env }, anchorSchedule: false });
  await relay.start();
  cleanups.push(() => relay.stop());
  const secret = await new GatewaySecrets({ store: relay.store, key: parseRelayKey(key, 'test'), logger: silent }).provision('pozo-norte-01', Date.now());
  const buffer = new RecordBuffer({ path: path.join(dir, 'agent.db'), clock: systemClock, logger: silent, maxBytes: 2 ** 26 });
  buffer.start();
  cleanups.push(() => buffer.stop());
  const sync = syncConfigSchema.parse({ url: `http://127.0.0.1:${relay.address.port}` });
  const client = new SyncClient({
    config: { ...sync, url: sync.url ?? '' },
    gatewayId: 'pozo-norte-01',
    secret: secretBytes(secret),
    buffer,
    clock: systemClock,
    bootId: BOOT_ID,
    clockSynced: () => true,
    logger: silent,
  });
  client.start();
  cleanups.push(() => client.stop());
  const append = async (seq: number, state: 'raised' | 'cleared'): Promise<void> => {
    const {
      gateway: _g,
      seq: _s,
      hash: _h,
      tsCorrected: _t,
      ...record
    } = alarmRecord('pozo-norte-01', seq, { rule: 'high2', level: 'alarm', state, threshold: 20 }, { ts: Date.now(), bootId: BOOT_ID });
    await buffer.append([record as NewRecord]);
  };
  return { relay, receiver, append };
}

describe('alerts end to end', () => {
  it('a gas alarm at the agent gives one email and one signed webhook per transition to the matching group only', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-smtp-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const sink = await SmtpSink.start({ dir });
    cleanups.push(() => sink.stop());
    const { receiver, append } = await start({ port: sink.port });
    await append(1, 'raised');
    await until(() => (sink.mails.length === 1 && receiver.to('/guardia').length === 1 ? true : undefined), 'the raise');
    await append(2, 'cleared');
    await until(() => (sink.mails.length === 2 && receiver.to('/guardia').length === 2 ? true : undefined), 'the clear');
    expect(receiver.to('/guardia').map((r) => r.body.facts['message'])).toEqual(['opened', 'closed']);
    expect(receiver.to('/guardia')[0]!.body.eventId).toBe('alarm:pozo-norte-01:det-1:ch4:high2:1');
    expect(sink.mails.map((m) => m.to)).toEqual([['ana@example.cl'], ['ana@example.cl']]);
    expect(header(sink.mails[0]!.raw, 'Subject')).toContain('ALARM');
    expect(receiver.to('/sur')).toHaveLength(0);
    expect(sink.mails.filter((m) => m.to.includes('eva@example.cl'))).toHaveLength(0);
  });

  it('an SMTP server refusing the credentials: the email is retried, then given up and visible; the webhook goes, the relay runs on', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-smtp-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const sink = await SmtpSink.start({ dir, auth: { user: 'atalaya', password: 'right' } });
    cleanups.push(() => sink.stop());
    const { relay, receiver, append } = await start({ port: sink.port, user: 'atalaya' }, { ATALAYA_SMTP_PASSWORD: 'wrong' });
    await append(1, 'raised');
    await until(() => (receiver.to('/guardia').length === 1 ? true : undefined), 'the webhook');
    const email = await until(async () => {
      const found = await relay.alerts!.get('alarm:pozo-norte-01:det-1:ch4:high2:1');
      const m = found?.messages.find((x) => x.channel === 'email');
      return m !== undefined && m.state === 'given_up' ? m : undefined;
    }, 'the email given up');
    expect(email.lastCode).toBe(NOTIFY_SMTP_AUTH);
    const log = (await relay.alerts!.get('alarm:pozo-norte-01:det-1:ch4:high2:1'))!.deliveries.filter((d) => d.outboxId === email.id).map((d) => d.outcome);
    expect(log.filter((o) => o === 'failed').length + log.filter((o) => o === 'given_up').length).toBeGreaterThanOrEqual(1);
    expect(log[0]).toBe('given_up');
    expect(sink.mails).toHaveLength(0);
    expect((await fetch(`http://127.0.0.1:${relay.address.port}/healthz`)).status).toBe(200);
  });
});
