/**
 * Review before sending (issue 14 §2), through a real relay (its HTTP API with a named operator
 * token, its store on SQLite and PostgreSQL) and the DGA double: each check held a slot →
 * nothing sent for it; approve → sent once with the derived values; correct → sent with the
 * correction, the audit names who and why; mark-missing → never sent, never derived again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayRecord } from '../../cloud/store/types.ts';
import { RECORD_FLAGS } from '../../protocols/records.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { type Bench, type BenchOptions, HOUR, MINUTE, startBench } from './relay-dga-setup.ts';

const DAY0 = Date.UTC(2025, 5, 16, 4, 0, 0); // 2025-06-16 00:00 UTC-4
const at = (hour: number, minute = 0): number => DAY0 + hour * HOUR + minute * MINUTE;
const slot = (hour: number): string => encodeURIComponent(`2025-06-16T${String(hour).padStart(2, '0')}:00:00-04:00`);
const WELL = {
  code: 'OB-0602-7',
  kind: 'subterranea',
  gateway: 'gw-1',
  device: 'pozo-1',
  channels: { flow: 'flow', totalizer: 'totalizer', waterColumn: 'water_column' },
  sensorDepthM: 60,
  startAt: '2025-06-16T00:00:00-04:00',
};
type Reading = Pick<RelayRecord, 'channel' | 'value' | 'ts'> & Partial<RelayRecord>;

/**
 * Readings every 10 minutes in [from, to) of a physically consistent well: the totalizer advances
 * by the flow (l/s × 600 s) unless `frozenFrom` says it stopped counting.
 */
function well(from: number, to: number, flow: (t: number) => number, options: { frozenFrom?: number; total0?: number } = {}): Reading[] {
  const out: Reading[] = [];
  let total = options.total0 ?? 1000;
  for (let t = from; t < to; t += 10 * MINUTE) {
    out.push(
      { channel: 'flow', value: flow(t), ts: t },
      { channel: 'totalizer', value: +total.toFixed(3), ts: t },
      { channel: 'water_column', value: 40, ts: t },
    );
    if (options.frozenFrom === undefined || t + 10 * MINUTE < options.frozenFrom) total += (flow(t) * 600) / 1000;
  }
  return out;
}

interface Finding {
  readonly code: string;
  readonly values: Record<string, unknown>;
}
interface ReviewSlot {
  readonly slot: string;
  readonly findings: Finding[];
  readonly readings: Array<{ readonly field: string } & Record<string, unknown>>;
}
/** What the review API answers: `slots` for the list, other fields for actions and errors. */
type ApiBody = { readonly slots: ReviewSlot[] } & Record<string, unknown>;

async function api(b: Bench, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: ApiBody }> {
  const res = await fetch(`${b.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${b.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as ApiBody };
}

const sent = (b: Bench): string[] => b.sim.measurements(WELL.code).map((m) => m.horaMedicion);

const benches: Bench[] = [];
async function bench(options: Partial<BenchOptions> & { start: number }): Promise<Bench> {
  const b = await startBench({ obras: [WELL], tokenName: 'alice', ...options });
  benches.push(b);
  return b;
}
afterAll(async () => {
  for (const b of benches) await b.stop();
});

describe('each check holds its slot for review; nothing is sent for it', () => {
  it('frozen totalizer under flow', async () => {
    const b = await bench({ start: at(6, 5), dga: { spacingMs: 0 } });
    await b.ingest(well(at(0), at(6, 10), () => 10, { frozenFrom: at(2) }));
    await b.run(10);
    const { json } = await api(b, 'GET', '/v1/dga/review');
    const held = new Map<string, string[]>(json.slots.map((s) => [s.slot.slice(11, 19), s.findings.map((f) => f.code)]));
    expect(sent(b)).toEqual(['00:00:00', '01:00:00', '02:00:00']);
    expect(held.get('05:00:00')).toContain('frozen_totalizer');
    expect([...held.keys()]).toEqual(['03:00:00', '04:00:00', '05:00:00', '06:00:00']);
    const five = json.slots.find((s) => s.slot.startsWith('2025-06-16T05'));
    expect(five?.findings.find((f) => f.code === 'frozen_totalizer')?.values).toMatchObject({ hours: 3, flowLps: 10 });
    expect(five?.readings.find((r) => r.field === 'caudal')).toMatchObject({ channel: 'flow', good: 1, min: 10, max: 10 });
  });

  it('a flow spike', async () => {
    const b = await bench({ start: at(6, 5), dga: { spacingMs: 0 } });
    await b.ingest(well(at(0), at(6, 10), (t) => (t === at(5) ? 80 : 10)));
    await b.run(10);
    const { json } = await api(b, 'GET', '/v1/dga/review');
    // The spike's reading also skews the flow integrated over the hour after it.
    expect(json.slots.map((s) => s.slot)).toEqual(['2025-06-16T05:00:00-04:00', '2025-06-16T06:00:00-04:00']);
    expect(json.slots[0]?.findings.find((f) => f.code === 'flow_jump')?.values).toEqual({ flowLps: 80, medianLps: 10, factor: 8 });
    expect(json.slots[1]?.findings.map((f) => f.code)).toEqual(['volume_flow_mismatch']);
    expect(sent(b)).toEqual(['00:00:00', '01:00:00', '02:00:00', '03:00:00', '04:00:00']);
  });

  it('flow over the water right', async () => {
    const b = await bench({ start: at(2, 5), dga: { spacingMs: 0 }, obras: [{ ...WELL, waterRight: { flowLps: 12, annualM3: 300_000, tolerancePct: 5 } }] });
    await b.ingest(well(at(0), at(2, 10), (t) => (t >= at(1) - 10 * MINUTE && t <= at(1) + 10 * MINUTE ? 13 : 12)));
    await b.run(5);
    const { json } = await api(b, 'GET', '/v1/dga/review');
    expect(json.slots.map((s) => [s.slot, s.findings.map((f) => f.code)])).toEqual([['2025-06-16T01:00:00-04:00', ['over_water_right']]]);
    expect(json.slots[0]?.findings[0]?.values).toEqual({ flowLps: 13, rightLps: 12, limitLps: 12.6 });
    expect(sent(b)).toEqual(['00:00:00', '02:00:00']);
  });

  it('a missing slot whose late readings are doubtful goes to review, not to the queue', async () => {
    const b = await bench({ start: at(5, 5), dga: { spacingMs: 0 } });
    const all = well(at(0), at(5, 10), (t) => (t === at(4) ? 80 : 10));
    const late = (r: Reading): boolean => Math.abs(r.ts - at(4)) <= 5 * MINUTE;
    await b.ingest(all.filter((r) => !late(r)));
    await b.run(5);
    expect((await b.dga.slot(WELL.code, at(4))).submission.state).toBe('missing');
    // The gateway syncs the hour late: the spike is held like any derived slot.
    await b.ingest(all.filter(late));
    await b.run(5);
    const { submission, audit } = await b.dga.slot(WELL.code, at(4));
    expect(submission).toMatchObject({ state: 'review', findings: expect.arrayContaining([expect.objectContaining({ code: 'flow_jump' })]) });
    expect(audit.map((a) => a.phase)).toEqual(['held']);
    expect(sent(b)).not.toContain('04:00:00');
  });

  it('readings near the slot taken on an unsynchronized clock', async () => {
    const b = await bench({ start: at(2, 5), dga: { spacingMs: 0 } });
    const readings = well(at(0), at(2, 10), () => 10).map((r) =>
      Math.abs(r.ts - at(1)) <= 5 * MINUTE ? { ...r, flags: RECORD_FLAGS.clockUnsynced, tsCorrected: r.ts } : r,
    );
    await b.ingest(readings);
    await b.run(5);
    const { json } = await api(b, 'GET', '/v1/dga/review');
    expect(json.slots.map((s) => [s.slot, s.findings.map((f) => f.code)])).toEqual([['2025-06-16T01:00:00-04:00', ['clock_unsynced']]]);
    expect(sent(b)).toEqual(['00:00:00', '02:00:00']);
  });
});

describe.each(['sqlite', 'postgres'] as const)('a person decides (%s)', (kind) => {
  let postgres: TestPostgres | undefined;
  beforeAll(async () => {
    if (kind === 'postgres') postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres?.stop();
  });

  it('approve sends the derived values once; correct sends the correction; mark-missing sends nothing; each audited with who and why', async () => {
    const storage = kind === 'postgres' ? { kind: 'postgres', url: await postgres!.newDatabase() } : undefined;
    // A right of 5 l/s: every hour of this 10 l/s well is held.
    const b = await bench({
      start: at(3, 5),
      obras: [{ ...WELL, waterRight: { flowLps: 5, annualM3: 100_000, tolerancePct: 0 } }],
      ...(storage === undefined ? {} : { storage }),
    });
    await b.ingest(well(at(0), at(3, 10), () => 10));
    await b.run(3);
    expect(sent(b)).toEqual([]);
    expect((await api(b, 'GET', '/v1/dga/review')).json.slots).toHaveLength(4);

    // Held past the send window: reported late, not skipped.
    const status = (await api(b, 'GET', `/v1/dga/${WELL.code}`)).json;
    expect(status).toMatchObject({ counts: { review: 4 }, lateUnsent: 3 });

    const approved = await api(b, 'POST', `/v1/dga/${WELL.code}/${slot(0)}/approve`, {});
    expect(approved).toMatchObject({ status: 200, json: { action: 'approve', from: 'review', to: 'pending' } });
    const corrected = await api(b, 'POST', `/v1/dga/${WELL.code}/${slot(1)}/correct`, {
      reason: 'pump throttled to 4.8 l/s per field report 17',
      values: { caudal: 4.8 },
    });
    expect(corrected).toMatchObject({ status: 200, json: { to: 'pending', measurement: { caudal: 4.8 } } });
    expect((await api(b, 'POST', `/v1/dga/${WELL.code}/${slot(2)}/mark-missing`, { reason: 'meter under maintenance' })).status).toBe(200);
    // Not in review any more, or never: 409; a correction without its reason: 400.
    expect((await api(b, 'POST', `/v1/dga/${WELL.code}/${slot(0)}/approve`, {})).status).toBe(409);
    expect((await api(b, 'POST', `/v1/dga/${WELL.code}/${slot(3)}/correct`, { values: { caudal: 1 } })).json).toMatchObject({
      error: 'bad_request',
      problems: [{ path: 'reason' }],
    });

    // One send at a time, spacingMs (5 min) apart, the approval does not skip it.
    await b.run(12);
    const held = b.sim.measurements(WELL.code);
    expect(held.map((m) => [m.horaMedicion, m.caudal])).toEqual([
      ['00:00:00', '10.00'],
      ['01:00:00', '4.80'],
    ]);
    expect(held[1]!.receivedAt - held[0]!.receivedAt).toBeGreaterThanOrEqual(5 * MINUTE);
    await b.run(20);
    expect(sent(b)).toEqual(['00:00:00', '01:00:00']);

    const { audit, submission: row } = await b.dga.slot(WELL.code, at(1));
    const correction = audit.find((a) => a.phase === 'correct');
    expect(correction).toMatchObject({ actor: 'alice', message: 'pump throttled to 4.8 l/s per field report 17', request: { corrected: { caudal: 4.8 } } });
    expect(audit.map((a) => a.phase)).toEqual(['held', 'correct', 'request', 'outcome']);
    // The derived values stay on the row beside the correction.
    expect(row).toMatchObject({ state: 'accepted', measurement: { caudal: 10 }, corrected: { caudal: 4.8 }, reviewAction: 'correct', reviewedBy: 'alice' });
    expect((await b.dga.slot(WELL.code, at(2))).submission).toMatchObject({
      state: 'missing',
      reviewAction: 'mark-missing',
      reviewReason: 'meter under maintenance',
    });
    expect((await b.dga.slot(WELL.code, at(0))).audit.find((a) => a.phase === 'approve')).toMatchObject({ actor: 'alice' });
    const after = (await api(b, 'GET', `/v1/dga/${WELL.code}`)).json;
    expect(after.acceptedLate).toBe(2);
  });
});
