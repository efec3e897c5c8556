import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDgaStore } from '../../cloud/store/dga.ts';
import { DGA_SQL } from '../../cloud/store/dga-sql.ts';
import type { DgaAuditInput, DgaStore, FinishInput } from '../../cloud/store/dga-types.ts';
import { STORE_CLOSED } from '../../cloud/store/errors.ts';
import { createStore } from '../../cloud/store/index.ts';
import type { RelayStore } from '../../cloud/store/types.ts';
import { testLogger } from '../helpers/logger.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

/** The DGA queue's contract, the same suite on SQLite and PostgreSQL (like store.test.ts). */
interface Database {
  open(): DgaStore;
  /** Runs raw SQL on a connection of the test's own (to look behind the interface). */
  exec(sql: string): Promise<void>;
}

let dir: string;
let postgres: TestPostgres | undefined;
let opened: Array<DgaStore | RelayStore> = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
  postgres = await startPostgres();
});

afterEach(async () => {
  await Promise.all(opened.map((s) => s.stop()));
  opened = [];
});

afterAll(async () => {
  await postgres?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

let files = 0;
async function sqliteDatabase(): Promise<Database> {
  const file = path.join(dir, `dga-${++files}.db`);
  // The relay store migrates the file first, as the relay does.
  const relay = createStore({ kind: 'sqlite', path: file }, testLogger());
  opened.push(relay);
  await relay.start();
  return {
    open: () => track(createDgaStore({ kind: 'sqlite', path: file }, testLogger())),
    exec: async (sql) => {
      const db = new Sqlite(file);
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    },
  };
}

async function postgresDatabase(): Promise<Database> {
  if (postgres === undefined) throw new Error('PostgreSQL not started');
  const url = await postgres.newDatabase();
  return {
    open: () => track(createDgaStore({ kind: 'postgres', url }, testLogger())),
    exec: async (sql) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
  };
}

const track = (s: DgaStore): DgaStore => {
  opened.push(s);
  return s;
};
const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 5, 16, 4, 0, 0); // 00:00 UTC-4
const OBRA = 'OB-0602-7';
const slot = (h: number): number => T0 + h * HOUR;
const measurement = (h: number, totalizador = 1000 + h): { at: number; caudal: number; totalizador: number; nivelFreatico: number } => ({
  at: slot(h),
  caudal: 1.5,
  totalizador,
  nivelFreatico: 9.8,
});

async function started(db: Database): Promise<DgaStore> {
  const s = db.open();
  await s.start();
  await s.ensureObra(OBRA, T0);
  return s;
}

async function queue(s: DgaStore, hours: number[], now = slot(24)): Promise<void> {
  for (const h of hours) await s.putSlot({ obra: OBRA, slot: slot(h), kind: 'subterranea', measurement: measurement(h) }, now);
}

const audit = (over: Partial<DgaAuditInput> = {}): DgaAuditInput => ({
  obra: OBRA,
  slot: slot(1),
  attempt: 1,
  phase: 'outcome',
  at: slot(24),
  instance: 'test',
  iface: 'rest',
  request: null,
  outcome: 'accepted',
  httpStatus: 200,
  message: null,
  receipt: null,
  ...over,
});

const finishing = (h: number, over: Partial<FinishInput>): FinishInput => ({
  obra: OBRA,
  slot: slot(h),
  claimedBy: 'relay-a',
  state: 'accepted',
  outcome: 'accepted',
  message: null,
  httpStatus: 200,
  receipt: 'R'.repeat(32),
  nextAttemptAt: null,
  now: slot(24),
  ...over,
});

describe.each([
  ['sqlite', sqliteDatabase],
  ['postgres', postgresDatabase],
] as const)('DGA store on %s', (backend, fresh) => {
  it('keeps a derived slot as it was, turns a missing one into pending when readings arrive late, and finds the previous total', async () => {
    const s = await started(await fresh());
    expect(await s.putSlot({ obra: OBRA, slot: slot(1), kind: 'subterranea', missing: 'caudal: no reading within ±5 min' }, slot(2))).toBe(true);
    expect(await s.putSlot({ obra: OBRA, slot: slot(2), kind: 'subterranea', measurement: measurement(2, 2000) }, slot(3))).toBe(true);
    expect(await s.submission(OBRA, slot(1))).toMatchObject({
      state: 'missing',
      measurement: null,
      missingReason: 'caudal: no reading within ±5 min',
      nextAttemptAt: null,
    });
    expect(await s.missingSlots(OBRA, slot(0), 10)).toEqual([slot(1)]);
    expect(await s.previousTotal(OBRA, slot(3))).toBe(2000);
    expect(await s.previousTotal(OBRA, slot(2))).toBeUndefined();

    expect(await s.putSlot({ obra: OBRA, slot: slot(1), kind: 'subterranea', measurement: measurement(1, 1500) }, slot(5))).toBe(true);
    expect(await s.submission(OBRA, slot(1))).toMatchObject({
      state: 'pending',
      measurement: measurement(1, 1500),
      missingReason: null,
      nextAttemptAt: slot(5),
    });
    // Derived once, never changed: neither new values nor a later "missing" overwrite it.
    expect(await s.putSlot({ obra: OBRA, slot: slot(2), kind: 'subterranea', measurement: measurement(2, 9999) }, slot(6))).toBe(false);
    expect(await s.putSlot({ obra: OBRA, slot: slot(2), kind: 'subterranea', missing: 'gone' }, slot(6))).toBe(false);
    expect((await s.submission(OBRA, slot(2)))?.measurement).toEqual(measurement(2, 2000));
    expect(await s.previousTotal(OBRA, slot(2))).toBe(1500);
  });

  it('takes no total left for a person as the baseline, and lists accepted slots flagged for a person (issue 14)', async () => {
    const s = await started(await fresh());
    await s.putSlot({ obra: OBRA, slot: slot(1), kind: 'subterranea', measurement: measurement(1, 1500) }, slot(2));
    await s.putSlot({ obra: OBRA, slot: slot(2), kind: 'subterranea', measurement: measurement(2, 1e15) }, slot(3));
    expect(await s.previousTotal(OBRA, slot(3))).toBe(1e15);
    expect(await s.claimNext(OBRA, slot(3), 0, 'relay-a')).toMatchObject({ kind: 'claimed', submission: { slot: slot(1) } });
    await s.finish(finishing(1, { state: 'accepted', outcome: 'accepted-irregular', receipt: 'A1B2-C3D4-E5F6' }), audit());
    expect(await s.claimNext(OBRA, slot(3), 0, 'relay-a')).toMatchObject({ kind: 'claimed', submission: { slot: slot(2) } });
    await s.finish(finishing(2, { state: 'needs-attention', outcome: 'unsendable', receipt: null, httpStatus: null }), audit({ slot: slot(2) }));
    expect(await s.previousTotal(OBRA, slot(3))).toBe(1500);
    expect((await s.flaggedAccepted(OBRA, 10)).map((x) => [x.slot, x.receipt])).toEqual([[slot(1), 'A1B2-C3D4-E5F6']]);
  });

  it('claims the oldest due slot, one at a time per obra, spacingMs apart, and not a stopped obra', async () => {
    const s = await started(await fresh());
    await queue(s, [3, 1, 2]);
    const now = slot(24);
    const first = await s.claimNext(OBRA, now, 300_000, 'relay-a');
    expect(first).toMatchObject({ kind: 'claimed', submission: { slot: slot(1), state: 'sending', attempts: 1, claimedBy: 'relay-a', claimedAt: now } });
    expect(await s.claimNext(OBRA, now + 1000, 0, 'relay-b')).toEqual({ kind: 'wait', reason: 'in-flight', until: null });
    expect(await s.finish(finishing(1, { now: now + 2000 }), audit())).toBe(true);
    expect(await s.claimNext(OBRA, now + 3000, 300_000, 'relay-b')).toEqual({ kind: 'wait', reason: 'spacing', until: now + 300_000 });
    expect(await s.claimNext(OBRA, now + 300_000, 300_000, 'relay-b')).toMatchObject({ kind: 'claimed', submission: { slot: slot(2) } });
    expect((await s.obraState(OBRA))?.lastSendAt).toBe(now + 300_000);
    await s.finish(finishing(2, { claimedBy: 'relay-b', state: 'failed', outcome: 'invalid', nextAttemptAt: now + 86_400_000, receipt: null }), audit());
    await s.stopObra(OBRA, 'not the informant', now + 400_000);
    expect(await s.claimNext(OBRA, now + 900_000, 300_000, 'relay-a')).toEqual({ kind: 'stopped', reason: 'not the informant' });
    await s.resumeObra(OBRA, now + 900_000);
    expect(await s.claimNext(OBRA, now + 900_000, 300_000, 'relay-a')).toMatchObject({ kind: 'claimed', submission: { slot: slot(3) } });
    await s.finish(finishing(3, { now: now + 901_000 }), audit());
    // Slot 2 waits for its next-day retry; nothing else is due.
    expect(await s.claimNext(OBRA, now + 1_300_000, 300_000, 'relay-a')).toEqual({ kind: 'idle', nextDueAt: now + 86_400_000 });
  });

  it('lets exactly one of several relays claim when they race', async () => {
    const db = await fresh();
    const stores = [await started(db), await started(db), await started(db)];
    await queue(stores[0]!, [1, 2]);
    const results = await Promise.all(stores.map((s, i) => s.claimNext(OBRA, slot(24), 300_000, `relay-${i}`)));
    expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'wait')).toHaveLength(2);
  });

  it('finishes only its own claim, but records an acceptance whoever holds the row', async () => {
    const s = await started(await fresh());
    await queue(s, [1]);
    await s.claimNext(OBRA, slot(24), 0, 'relay-a');
    expect(await s.finish(finishing(1, { claimedBy: 'relay-b', state: 'rejected', outcome: 'rejected', nextAttemptAt: 1 }), audit())).toBe(false);
    // Recovered as abandoned by another relay, then relay-a's answer arrives: DGA holds it.
    expect(await s.recoverStale(slot(24) + 1, slot(25), slot(24) + 100_000)).toEqual([{ obra: OBRA, slot: slot(1), attempts: 1, claimedBy: 'relay-a' }]);
    expect(await s.submission(OBRA, slot(1))).toMatchObject({ state: 'failed', lastOutcome: 'interrupted', nextAttemptAt: slot(25) });
    expect(await s.finish(finishing(1, { now: slot(24) + 200_000 }), audit({ receipt: 'R'.repeat(32) }))).toBe(true);
    expect(await s.submission(OBRA, slot(1))).toMatchObject({
      state: 'accepted',
      receipt: 'R'.repeat(32),
      acceptedAt: slot(24) + 200_000,
      nextAttemptAt: null,
    });
    // Never twice: an accepted row is not claimable, not finishable again, not recoverable.
    expect(await s.finish(finishing(1, { receipt: 'S'.repeat(32) }), audit())).toBe(false);
    expect((await s.submission(OBRA, slot(1)))?.receipt).toBe('R'.repeat(32));
    expect(await s.claimNext(OBRA, slot(48), 0, 'relay-a')).toEqual({ kind: 'idle', nextDueAt: null });
    expect((await s.audit(OBRA, slot(1))).map((a) => a.phase)).toEqual(['outcome', 'outcome', 'outcome']);
  });

  it('recovers only sends older than the cutoff', async () => {
    const s = await started(await fresh());
    await queue(s, [1, 2]);
    await s.claimNext(OBRA, slot(24), 0, 'relay-a');
    await s.finish(finishing(1, { state: 'failed', outcome: 'invalid', nextAttemptAt: slot(24), receipt: null }), audit());
    await s.claimNext(OBRA, slot(24) + 60_000, 0, 'relay-a');
    expect(await s.recoverStale(slot(24) + 60_000, slot(25), slot(24) + 90_000)).toEqual([]);
    expect((await s.recoverStale(slot(24) + 60_001, slot(25), slot(24) + 90_000)).map((r) => r.slot)).toEqual([slot(1)]);
  });

  it('retries failed, rejected and needs-attention slots, and tells which state a slot was in', async () => {
    const s = await started(await fresh());
    await queue(s, [1]);
    await s.claimNext(OBRA, slot(24), 0, 'relay-a');
    await s.finish(finishing(1, { state: 'rejected', outcome: 'rejected', message: 'status 03: formato', nextAttemptAt: slot(48), receipt: null }), audit());
    expect(await s.retry(OBRA, slot(1), slot(25))).toEqual({ from: 'rejected', changed: true, attempts: 1 });
    expect(await s.submission(OBRA, slot(1))).toMatchObject({ state: 'pending', nextAttemptAt: slot(25), lastMessage: 'status 03: formato' });
    expect(await s.retry(OBRA, slot(1), slot(25))).toEqual({ from: 'pending', changed: false, attempts: 1 });
    expect(await s.retry(OBRA, slot(9), slot(25))).toBeUndefined();
  });

  it('keeps the audit append-only', async () => {
    const db = await fresh();
    const s = await started(db);
    await s.appendAudit(audit({ phase: 'request', request: { body: { autenticacion: { password: '[redacted]' } } }, outcome: null }));
    expect(await s.audit(OBRA, slot(1))).toMatchObject([
      { id: expect.any(Number), phase: 'request', request: { body: { autenticacion: { password: '[redacted]' } } }, instance: 'test', iface: 'rest' },
    ]);
    await expect(db.exec("UPDATE dga_audit SET outcome = 'accepted'")).rejects.toThrow(/append-only/);
    await expect(db.exec('DELETE FROM dga_audit')).rejects.toThrow(/append-only/);
    expect(await s.audit(OBRA, slot(1))).toHaveLength(1);
  });

  it('summarizes counts, late slots and the last accepted one', async () => {
    const s = await started(await fresh());
    await queue(s, [1, 2, 3], slot(1));
    await s.putSlot({ obra: OBRA, slot: slot(4), kind: 'subterranea', missing: 'x' }, slot(5));
    await s.claimNext(OBRA, slot(1) + 60_000, 0, 'a');
    await s.finish(finishing(1, { now: slot(1) + 60_000 }), audit()); // on time
    await s.claimNext(OBRA, slot(2) + 2 * HOUR, 0, 'a');
    await s.finish(finishing(2, { now: slot(2) + 2 * HOUR, receipt: 'Q'.repeat(32) }), audit()); // late
    const summary = await s.summary(OBRA, slot(6), HOUR);
    expect(summary.counts).toMatchObject({ accepted: 2, pending: 1, missing: 1, sending: 0 });
    expect(summary.lateUnsent).toBe(2);
    expect(summary.acceptedLate).toBe(1);
    expect(summary.lastAccepted).toEqual({ slot: slot(2), receipt: 'Q'.repeat(32), acceptedAt: slot(2) + 2 * HOUR });
    expect(summary.nextDueAt).toBe(slot(1));
    expect((await s.submissions(OBRA, { states: ['missing', 'pending'], limit: 10 })).map((x) => x.slot)).toEqual([slot(4), slot(3)]);
    expect((await s.submissions(OBRA, { limit: 2, before: slot(4) })).map((x) => x.slot)).toEqual([slot(3), slot(2)]);
  });

  it('stores credentials ciphertext and lifts a stop, requeueing what it held back', async () => {
    const s = await started(await fresh());
    expect(await s.getCredentials(OBRA)).toBeUndefined();
    await s.setCredentials(OBRA, 'v1.a.b.c', T0);
    await s.setCredentials(OBRA, 'v1.d.e.f', T0 + 1);
    expect(await s.getCredentials(OBRA)).toBe('v1.d.e.f');
    await queue(s, [1]);
    await s.claimNext(OBRA, slot(24), 0, 'relay-a');
    expect(await s.finish(finishing(1, { state: 'needs-attention', outcome: 'not-informant', receipt: null }), audit())).toBe(true);
    await s.stopObra(OBRA, 'informant', slot(24));
    expect(await s.resumeObra(OBRA, slot(25))).toBe(1);
    expect(await s.submission(OBRA, slot(1))).toMatchObject({ state: 'pending', nextAttemptAt: slot(25) });
    expect((await s.obraState(OBRA))?.stoppedAt).toBeNull();
  });

  it(backend === 'postgres' ? 'lets one relay at a time hold the scheduler lock' : 'always runs the scheduler (one relay per file)', async () => {
    const db = await fresh();
    const [a, b] = [await started(db), await started(db)];
    let release!: () => void;
    const holding = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const first = a.withSchedulerLock(async () => {
      entered();
      await holding;
      return 'a';
    });
    await inside;
    const second = await b.withSchedulerLock(async () => 'b');
    release();
    expect(await first).toEqual({ ran: true, value: 'a' });
    expect(second).toEqual(backend === 'postgres' ? { ran: false } : { ran: true, value: 'b' });
    expect(await b.withSchedulerLock(async () => 'b')).toEqual({ ran: true, value: 'b' });
  });

  it('holds a slot with findings in review (never claimed, no baseline), and applies a review once with its audit line', async () => {
    const s = await started(await fresh());
    const finding = { code: 'flow_jump' as const, message: 'flow 60 l/s is 6× the median', values: { flowLps: 60 } };
    await queue(s, [0]);
    const held = { obra: OBRA, slot: slot(1), kind: 'subterranea' as const, measurement: measurement(1, 2000), findings: [finding] };
    expect(
      await s.putSlots(
        [{ obra: OBRA, inputs: [held, { obra: OBRA, slot: slot(2), kind: 'subterranea', missing: 'caudal: no reading' }], derivedThrough: slot(2) }],
        slot(3),
        'test',
      ),
    ).toBe(2);
    expect((await s.obraState(OBRA))?.derivedThrough).toBe(slot(2));
    expect(await s.submission(OBRA, slot(1))).toMatchObject({ state: 'review', findings: [finding], nextAttemptAt: null, corrected: null, reviewAction: null });
    expect(await s.previousTotal(OBRA, slot(5))).toBe(1000);
    expect((await s.audit(OBRA, slot(1))).map((a) => [a.phase, a.outcome, a.message])).toEqual([['held', 'review', 'flow 60 l/s is 6× the median']]);
    const claimed = await s.claimNext(OBRA, slot(24), 0, 'relay-a');
    expect(claimed.kind === 'claimed' && claimed.submission.slot).toBe(slot(0));
    await s.finish(finishing(0, {}), audit({ slot: slot(0) }));
    expect((await s.claimNext(OBRA, slot(24), 0, 'relay-a')).kind).toBe('idle');
    expect(await s.history(OBRA, slot(0), slot(5))).toEqual([
      { slot: slot(0), measurement: measurement(0) },
      { slot: slot(1), measurement: measurement(1, 2000) },
    ]);

    const corrected = { ...measurement(1, 1001), caudal: 1.2 };
    const review = {
      obra: OBRA,
      slot: slot(1),
      action: 'correct' as const,
      actor: 'alice',
      reason: 'spike from a loose cable',
      corrected,
      now: slot(25),
      instance: 'test',
    };
    expect(await s.review(review)).toEqual({ from: 'review', changed: true });
    expect(await s.review({ ...review, action: 'approve' })).toEqual({ from: 'pending', changed: false });
    expect(await s.review({ ...review, slot: slot(9) })).toBeUndefined();
    expect(await s.submission(OBRA, slot(1))).toMatchObject({
      state: 'pending',
      measurement: measurement(1, 2000),
      corrected,
      reviewAction: 'correct',
      reviewedBy: 'alice',
      reviewedAt: slot(25),
      reviewReason: 'spike from a loose cable',
    });
    // The corrected total is the baseline now, and the corrected values are the history.
    expect(await s.previousTotal(OBRA, slot(5))).toBe(1001);
    expect((await s.history(OBRA, slot(1), slot(2)))[0]?.measurement).toEqual(corrected);
    expect((await s.audit(OBRA, slot(1))).at(-1)).toMatchObject({
      phase: 'correct',
      actor: 'alice',
      message: 'spike from a loose cable',
      request: { corrected },
    });
    const next = await s.claimNext(OBRA, slot(25), 0, 'relay-a');
    expect(next.kind === 'claimed' && next.submission.corrected).toEqual(corrected);

    // mark-missing: missing for good, never derived again.
    await s.putSlots([{ obra: OBRA, inputs: [{ ...held, slot: slot(3) }], derivedThrough: slot(3) }], slot(4), 'test');
    expect(await s.review({ ...review, slot: slot(3), action: 'mark-missing', reason: 'meter removed', corrected: null })).toEqual({
      from: 'review',
      changed: true,
    });
    expect(await s.submission(OBRA, slot(3))).toMatchObject({
      state: 'missing',
      missingReason: 'marked missing in review by alice: meter removed',
      reviewAction: 'mark-missing',
    });
    expect(await s.missingSlots(OBRA, slot(0), 10)).toEqual([slot(2)]);
    expect(await s.putSlot({ obra: OBRA, slot: slot(3), kind: 'subterranea', measurement: measurement(3) }, slot(26))).toBe(false);
  });

  it('refuses calls once stopped', async () => {
    const s = await started(await fresh());
    await s.stop();
    await expect(s.obraState(OBRA)).rejects.toMatchObject({ code: STORE_CLOSED });
  });
});

describe('DGA store (SQLite) query plans', () => {
  it('reaches the submissions of one obra through an index in every statement a tick runs', async () => {
    await sqliteDatabase();
    const file = path.join(dir, `dga-${files}.db`);
    const raw = new Sqlite(file, { readonly: true });
    try {
      const perTick = [
        'previousTotal',
        'missingSlots',
        'inFlight',
        'oldestDue',
        'nextDue',
        'claim',
        'finish',
        'finishAccepted',
        'recoverStale',
        'submission',
        'history',
        'putSlot',
        'review',
      ] as const;
      for (const name of perTick) {
        const sql = DGA_SQL[name].replace(/\$(\d+)/g, '@p$1');
        const params = Object.fromEntries((sql.match(/@p\d+/g) ?? []).map((p) => [p.slice(1), 1]));
        const details = (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail);
        expect(
          details.filter((d) => /^SCAN dga_submissions/.test(d)),
          `${name}: ${details.join(' | ')}`,
        ).toEqual([]);
      }
    } finally {
      raw.close();
    }
  });
});
