import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ackKey } from '../../cloud/alerts/ack-token.ts';
import { type AlertsConfig, alertsConfigSchema } from '../../cloud/alerts/config.ts';
import { Dispatcher } from '../../cloud/alerts/dispatcher.ts';
import { AlertEngine } from '../../cloud/alerts/engine.ts';
import type { AnchorBatch } from '../../cloud/store/anchor-types.ts';
import type { DgaSubmission, DgaSummary } from '../../cloud/store/dga-types.ts';
import { createRelayDatabase, type RelayDatabase } from '../../cloud/store/index.ts';
import { pagedLocally } from '../../cloud/store/paged-locally.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { alarmRecord, cleared, FakeClock, Receiver, raised, T0, TestWebhookChannel } from './alerts-setup.ts';

let dir: string;
let postgres: TestPostgres | undefined;
let receiver: Receiver;
let base: string;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-alerts-'));
  postgres = await startPostgres();
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(async () => {
  await postgres?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const KEY = ackKey(Buffer.alloc(32, 7));
let files = 0;

const backends = [
  ['sqlite', async () => ({ kind: 'sqlite' as const, path: path.join(dir, `relay-${++files}.db`) })],
  ['postgres', async () => ({ kind: 'postgres' as const, url: await postgres!.newDatabase() })],
] as const;

function config(url: string, over: Record<string, unknown> = {}): AlertsConfig {
  return alertsConfigSchema.parse({
    enabled: true,
    ackLinkBaseUrl: 'https://relay.example.cl',
    channels: { webhook: {} },
    groups: {
      guardia: { members: [{ name: 'ana', webhook: `${url}/guardia` }] },
      jefes: { members: [{ name: 'luis', webhook: `${url}/jefes` }] },
      otros: { members: [{ name: 'eva', webhook: `${url}/otros` }] },
    },
    rules: [
      { name: 'gas', kinds: ['alarm'], subjects: ['gw-1/*'], groups: ['guardia'], escalation: ['jefes'], escalateAfterMinutes: 10 },
      { name: 'other-site', kinds: ['alarm'], subjects: ['gw-9/*'], groups: ['otros'] },
      { name: 'silence', kinds: ['gateway_silent', 'integrity'], groups: ['guardia'] },
      { name: 'ops', kinds: ['dga_failed', 'dga_stopped', 'anchor_reorg'], groups: ['otros'] },
    ],
    silentAfterMinutes: 5,
    digest: { windowMinutes: 1, maxPerWindow: 3 },
    ...over,
  });
}

/** What the DGA queue and anchoring report, as their stores would (the stores have their own suites). */
const dgaState: { rejected: number[]; stopped: string | null } = { rejected: [], stopped: null };
const anchorState: { reorgs: number } = { reorgs: 0 };
const dga = {
  submissions: async () => dgaState.rejected.map((slot) => ({ obra: 'OB-0602-7', slot, state: 'rejected' }) as unknown as DgaSubmission),
  obraState: async () => ({
    obra: 'OB-0602-7',
    derivedThrough: null,
    lastSendAt: null,
    recheckedAt: null,
    stoppedAt: dgaState.stopped === null ? null : T0,
    stoppedReason: dgaState.stopped,
  }),
  summary: async () => ({ counts: {} as DgaSummary['counts'], lateUnsent: 0, acceptedLate: 0, lastAccepted: null, nextDueAt: null }),
};
const anchor = {
  listBatches: async () =>
    anchorState.reorgs > 0 ? [{ id: 7, status: 'confirmed', createdAt: T0, reorgs: anchorState.reorgs } as unknown as AnchorBatch] : [],
  errors: async () => [],
};

async function setup(storage: () => Promise<{ kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string }>, over: Record<string, unknown> = {}) {
  receiver = new Receiver();
  base = await receiver.start();
  cleanups.push(() => receiver.stop());
  const clock = new FakeClock();
  const db: RelayDatabase = createRelayDatabase(await storage(), testLogger());
  await db.start();
  cleanups.push(() => db.stop());
  await db.records.addGateway('gw-1', 'x', T0);
  const cfg = config(base, over);
  const engine = new AlertEngine({
    config: cfg,
    store: db.alerts,
    records: db.records,
    ackKey: KEY,
    clock,
    logger: testLogger(),
    instance: 'relay-a',
    status: { dga: { store: dga, obras: ['OB-0602-7'] }, anchor },
    pagedLocally: async (q) => (await pagedLocally(db.records, q)) !== undefined,
  });
  const dispatcher = new Dispatcher({
    config: cfg,
    store: db.alerts,
    channels: new Map([['webhook', new TestWebhookChannel()]]),
    clock,
    logger: testLogger(),
    instance: 'relay-a',
    pollMs: 50,
  });
  const drain = async (): Promise<number> => {
    let n = 0;
    while (await dispatcher.sendOne('webhook')) n += 1;
    return n;
  };
  const ingest = (records: Parameters<typeof alarmRecord>[]) =>
    db.records.ingest({ gateway: 'gw-1', records: records.map((r) => alarmRecord(...r)), now: clock.now(), clockOffsetMs: 0 });
  const another = () => new AlertEngine({ config: cfg, store: db.alerts, records: db.records, ackKey: KEY, clock, logger: testLogger(), instance: 'relay-b' });
  return { db, clock, engine, dispatcher, drain, ingest, another };
}

describe.each(backends)('alerts engine on %s', (_name, storage) => {
  it('a gas alarm reaches the matching group once per transition, escalates without ack, and an ack stops it', async () => {
    const { db, clock, engine, drain, ingest } = await setup(storage, { silentAfterMinutes: 0 });
    await ingest([['gw-1', 1, raised()]]);
    expect((await engine.pass()).opened).toBe(1);
    await engine.pass();
    expect(await drain()).toBe(1);
    const first = receiver.to('/guardia');
    expect(first).toHaveLength(1);
    expect(first[0]!.body.eventId).toBe('alarm:gw-1:det-1:ch4:high2:1');
    expect(first[0]!.body.ackUrl).toMatch(/^https:\/\/relay\.example\.cl\/v1\/alerts\/ack\?t=/);
    expect(receiver.to('/otros')).toHaveLength(0);

    clock.advance(10 * 60_000);
    expect((await engine.pass()).advanced).toBe(1);
    expect(await drain()).toBe(1);
    expect(receiver.to('/jefes')).toHaveLength(1);
    expect(receiver.to('/jefes')[0]!.body.title).toMatch(/^\[escalated\]/);

    expect(await engine.ack('alarm:gw-1:det-1:ch4:high2:1', 'link:guardia/ana')).toBe('acked');
    expect(await engine.ack('alarm:gw-1:det-1:ch4:high2:1', 'operator')).toBe('already');
    expect((await db.alerts.alert('alarm:gw-1:det-1:ch4:high2:1'))?.ackedBy).toBe('link:guardia/ana');

    clock.advance(3_600_000);
    await ingest([['gw-1', 2, cleared()]]);
    expect((await engine.pass()).closed).toBe(1);
    expect(await drain()).toBe(2);
    expect(receiver.to('/guardia').map((r) => r.body.facts['message'])).toEqual(['opened', 'closed']);
    expect(receiver.to('/jefes').map((r) => r.body.facts['message'])).toEqual(['escalation', 'closed']);
    expect(new Set(receiver.received.map((r) => r.key)).size).toBe(receiver.received.length);
    expect((await db.alerts.alert('alarm:gw-1:det-1:ch4:high2:1'))?.state).toBe('closed');
  });

  it('a 5xx is retried with back-off, every attempt logged, and the same key is sent', async () => {
    const { db, clock, engine, drain, ingest } = await setup(storage);
    receiver.failNext = 2;
    await ingest([['gw-1', 1, raised()]]);
    await engine.pass();
    expect(await drain()).toBe(1);
    expect(await drain()).toBe(0);
    clock.advance(5000);
    expect(await drain()).toBe(1);
    clock.advance(10_000);
    expect(await drain()).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const [m] = await db.alerts.outbox('alarm:gw-1:det-1:ch4:high2:1');
    expect(m).toMatchObject({ state: 'sent', attempts: 3 });
    expect((await db.alerts.deliveriesOfKey(m!.key)).map((d) => d.outcome)).toEqual(['queued', 'failed', 'failed', 'sent']);
    expect(receiver.received[0]!.key).toBe(m!.key);
  });

  it('a storm of alarm records becomes a bounded number of messages per recipient, with counts', async () => {
    const { clock, engine, drain, ingest } = await setup(storage);
    const records: Parameters<typeof alarmRecord>[] = [];
    // The storm: 10,000 alarm records within one minute.
    for (let i = 1; i <= 10_000; i += 1) records.push(['gw-1', i, raised('alarm', `r${i}`)]);
    await ingest(records);
    expect((await engine.pass()).opened).toBe(10_000);
    await drain();
    expect(receiver.to('/guardia')).toHaveLength(3);
    clock.advance(61_000);
    expect((await engine.pass()).digests).toBe(1);
    await drain();
    const all = receiver.to('/guardia');
    expect(all).toHaveLength(4);
    expect(all[3]!.body.facts['count']).toBe(9_997);
    expect(all[3]!.body.facts['alarm alarm opened']).toBe(9_997);
  });

  it('a silent gateway opens an alert after the period and closes it when the gateway is back', async () => {
    const { clock, engine, drain, ingest, db } = await setup(storage);
    await ingest([['gw-1', 1, raised('warning', 'low1')]]);
    await engine.pass();
    clock.advance(6 * 60_000);
    expect((await engine.pass()).opened).toBe(1);
    const open = await db.alerts.alerts({ state: 'open', limit: 10 });
    expect(open.map((a) => a.kind).sort()).toEqual(['alarm', 'gateway_silent']);
    await ingest([['gw-1', 2, cleared('warning', 'low1')]]);
    expect((await engine.pass()).closed).toBe(2);
    await drain();
    expect(receiver.to('/guardia').map((r) => `${r.body.facts['kind']}:${r.body.facts['message']}`)).toEqual([
      'alarm:opened',
      'gateway_silent:opened',
      'alarm:closed',
      'gateway_silent:closed',
    ]);
  });

  it('DGA and anchoring status open alerts and close them when the condition is gone; a reorg stays until acknowledged', async () => {
    const { engine, drain, db } = await setup(storage, { silentAfterMinutes: 0, digest: { windowMinutes: 1, maxPerWindow: 10 } });
    dgaState.rejected = [T0 - 3_600_000];
    dgaState.stopped = 'not informant';
    anchorState.reorgs = 1;
    try {
      expect((await engine.pass()).opened).toBe(3);
      expect((await engine.pass()).opened).toBe(0);
      dgaState.rejected = [];
      dgaState.stopped = null;
      anchorState.reorgs = 0;
      expect((await engine.pass()).closed).toBe(2);
      const open = await db.alerts.alerts({ state: 'open', limit: 10 });
      expect(open.map((a) => a.kind)).toEqual(['anchor_reorg']);
      expect(await engine.ack(open[0]!.id, 'operator')).toBe('acked');
      expect(await db.alerts.alerts({ state: 'open', limit: 10 })).toEqual([]);
      await drain();
      expect(
        receiver
          .to('/otros')
          .map((r) => `${r.body.facts['kind']}:${r.body.facts['message']}`)
          .sort(),
      ).toEqual(['anchor_reorg:opened', 'dga_failed:closed', 'dga_failed:opened', 'dga_stopped:closed', 'dga_stopped:opened']);
    } finally {
      dgaState.rejected = [];
      dgaState.stopped = null;
      anchorState.reorgs = 0;
    }
  });

  it('a transition the gateway paged itself is stored but not sent again; a paged note that comes later cancels what is still queued', async () => {
    const { db, engine, drain, ingest } = await setup(storage, { silentAfterMinutes: 0 });
    const paged = (seq: number, of: number, ts: number) =>
      ['gw-1', seq, { rule: 'high2', level: 'alarm', state: 'paged', threshold: null }, { value: of, unit: 'modem', ts }] as Parameters<typeof alarmRecord>;
    // The uplink was down: the raise, its page, the clear and its page arrive together, late.
    await ingest([
      ['gw-1', 1, raised(), { ts: T0 - 600_000 }],
      paged(2, 1, T0 - 480_000),
      ['gw-1', 3, cleared(), { ts: T0 - 300_000 }],
      paged(4, 3, T0 - 290_000),
    ]);
    expect(await engine.pass()).toMatchObject({ opened: 1, closed: 1 });
    expect(await drain()).toBe(0);
    expect((await db.alerts.alert('alarm:gw-1:det-1:ch4:high2:1'))?.facts).toMatchObject({ pagedLocally: true });
    // The page's note comes in a later batch than the raise: the message not yet sent is cancelled.
    await ingest([['gw-1', 5, raised(), { ts: T0 - 200_000 }]]);
    await engine.pass();
    await ingest([paged(6, 5, T0 - 100_000)]);
    await engine.pass();
    expect(await drain()).toBe(0);
    expect((await db.alerts.outbox('alarm:gw-1:det-1:ch4:high2:5')).map((m) => m.state)).toEqual(['cancelled']);
    expect(receiver.received).toHaveLength(0);
  });

  it('a restarted relay carries on from the stored cursor: nothing opened or queued twice, a late commit inside the lookback still seen', async () => {
    const { db, clock, engine, drain, ingest, another } = await setup(storage, { silentAfterMinutes: 0 });
    await ingest([['gw-1', 1, raised()]]);
    await engine.pass();
    expect(await db.alerts.cursor('alarm-records')).toBe(T0);
    const restarted = another();
    expect((await restarted.pass()).opened).toBe(0);
    // A batch stamped a moment before the cursor (a slower transaction) commits after the pass.
    clock.advance(5000);
    await db.records.ingest({ gateway: 'gw-1', records: [alarmRecord('gw-1', 2, raised('alarm', 'other'))], now: T0 - 3000, clockOffsetMs: 0 });
    expect((await restarted.pass()).opened).toBe(1);
    expect(await drain()).toBe(2);
  });

  it('an integrity alarm (same key, other content) opens an alert once; acknowledging it closes it', async () => {
    const { db, engine, drain, ingest } = await setup(storage, { silentAfterMinutes: 0 });
    await ingest([['gw-1', 1, raised('warning', 'low1')]]);
    const conflict = await db.records.ingest({
      gateway: 'gw-1',
      records: [alarmRecord('gw-1', 1, raised('warning', 'low1'), { hash: 'f'.repeat(64) })],
      now: T0,
      clockOffsetMs: 0,
    });
    expect(conflict.ok).toBe(false);
    await engine.pass();
    expect((await engine.pass()).opened).toBe(0);
    const [alert] = (await db.alerts.alerts({ state: 'open', limit: 10 })).filter((a) => a.kind === 'integrity');
    expect(alert).toMatchObject({ severity: 'alarm', gateway: 'gw-1', facts: { seq: 1 } });
    expect(await engine.ack(alert!.id, 'operator')).toBe('acked');
    expect((await db.alerts.alert(alert!.id))?.state).toBe('closed');
    await drain();
    expect(receiver.to('/guardia').map((r) => r.body.facts['kind'])).toEqual(['alarm', 'integrity']);
  });
});
