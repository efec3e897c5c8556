import { afterEach, describe, expect, it } from 'vitest';
import type { DgaSendOutcome } from '../../cloud/dga/client.ts';
import { RestDgaClient } from '../../cloud/dga/rest-client.ts';
import type { DgaCredentials, DgaQueryOutcome, Measurement, WorkKind } from '../../protocols/dga/index.ts';
import { parseRestAnswer } from '../../protocols/dga/index.ts';
import { testLogger } from '../helpers/logger.ts';
import type { Setup } from './dga-engine-setup.ts';
import { at, CREDENTIALS, clientsOf, DAY0, HOUR, MINUTE, setup, WELL, wellReadings } from './dga-engine-setup.ts';

/**
 * Issue 14 §1: answers and states that must never lead to a retransmission of a measurement DGA
 * holds (Res. 2.170 §6.3), nor leave good slots unsent.
 */
interface Sent {
  readonly slot: number;
  readonly at: number;
  readonly measurement: Measurement;
}

/** Real request building; DGA's answers scripted as raw REST answers or outcomes. */
class ScriptedDga extends RestDgaClient {
  readonly sent: Sent[] = [];
  readonly answers: Array<() => DgaSendOutcome | Promise<DgaSendOutcome>> = [];
  private receipts = 0;

  constructor(private readonly clock: { now(): number }) {
    super({ baseUrl: 'http://dga.invalid/api/v1', timeoutMs: 1000, logger: testLogger() });
  }

  override async send(_obra: string, _kind: WorkKind, _credentials: DgaCredentials, measurement: Measurement): Promise<DgaSendOutcome> {
    this.sent.push({ slot: measurement.at, at: this.clock.now(), measurement });
    const answer = this.answers.shift();
    return answer === undefined ? { kind: 'accepted', receipt: `R${String(++this.receipts).padStart(31, '0')}`, httpStatus: 200 } : answer();
  }

  override async query(): Promise<DgaQueryOutcome> {
    return { kind: 'invalid', reason: 'not scripted' };
  }
}

/** A REST answer as the client reads it off the wire. */
const rest = (status: number, body: unknown) => (): DgaSendOutcome => ({
  ...parseRestAnswer(status, 'application/json', JSON.stringify(body)),
  httpStatus: status,
});

let s: Setup | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

async function start(dga: Record<string, unknown> = {}): Promise<{ s: Setup; dga: ScriptedDga }> {
  let fake: ScriptedDga | undefined;
  s = await setup({ get: () => fake!, close: async () => undefined }, dga);
  fake = new ScriptedDga(s.clock);
  await s.engine.setCredentials(WELL.code, CREDENTIALS);
  await s.engine.start();
  return { s, dga: fake };
}

async function run(setupValue: Setup, minutes: number, step = MINUTE): Promise<void> {
  for (let i = 0; i < minutes; i++) {
    setupValue.clock.t += step;
    await setupValue.engine.tick();
  }
}

const hoursSent = (dga: ScriptedDga): number[] => dga.sent.map((x) => (x.slot - DAY0) / HOUR);

describe('DGA: a success answer is never resent, whatever its receipt looks like', () => {
  it.each([
    ['a dashed receipt', { status: '00', message: 'ok', data: { numeroComprobante: 'A1B2-C3D4-E5F6' } }, 'A1B2-C3D4-E5F6'],
    ['no data', { status: '00', message: 'Medición subterránea ingresada correctamente' }, null],
    ['an empty receipt', { status: '00', data: { numeroComprobante: '' } }, null],
  ])('status "00" with %s: accepted, receipt kept as given, flagged for a person, not sent again', async (_label, body, receipt) => {
    const { s, dga } = await start();
    dga.answers.push(rest(200, body));
    await s.ingest(wellReadings(at(0), 10, 1000, 50));
    s.clock.t = at(0, 10);
    await s.engine.tick();
    // Three days of ticks, hourly: far past retryAfterMs.
    await run(s, 72, HOUR);
    expect(hoursSent(dga)).toEqual([0]);
    expect(await s.queue.submission(WELL.code, at(0))).toMatchObject({
      state: 'accepted',
      receipt,
      lastOutcome: 'accepted-irregular',
      lastMessage: expect.stringContaining('a person should check'),
      nextAttemptAt: null,
    });
    expect(await s.queue.audit(WELL.code, at(0))).toMatchObject([{ phase: 'request' }, { phase: 'outcome', outcome: 'accepted-irregular', receipt }]);
    const [status] = await s.engine.status();
    expect(status?.counts.accepted).toBe(1);
    expect(status?.problems.filter((p) => p.state !== 'missing')).toMatchObject([
      { state: 'accepted', receiptIrregular: true, receipt, slot: '2025-06-16T00:00:00-04:00' },
    ]);
    await expect(s.engine.retry(WELL.code, at(0))).rejects.toMatchObject({ code: 'ATALAYA_RELAY_DGA_ALREADY_ACCEPTED' });
  });
});

describe('DGA: receipt checks (verifyReceipts)', () => {
  it("checks a duplicate's receipt like an accepted one, and leaves an irregular receipt to a person", async () => {
    const { s, dga } = await start({ verifyReceipts: true, spacingMs: 0 });
    const receipt = 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6';
    dga.answers.push(() => ({ kind: 'duplicate', receipt, httpStatus: 400 }), rest(200, { status: '00', data: { numeroComprobante: 'A1B2-C3D4-E5F6' } }));
    await s.ingest([...wellReadings(at(0), 10, 1000, 50), ...wellReadings(at(1), 10, 1010, 50)]);
    s.clock.t = at(1, 10);
    await run(s, 2);
    expect(await s.queue.submission(WELL.code, at(0))).toMatchObject({ state: 'accepted', receipt, verification: 'unchecked: not scripted' });
    expect(await s.queue.submission(WELL.code, at(1))).toMatchObject({ state: 'accepted', receipt: 'A1B2-C3D4-E5F6', verification: null });
  });
});

describe('DGA: an unknown outcome is settled the next day, not minutes later', () => {
  it('a send the relay died in is retried only after a day by default (Res. 2.170 §6.2)', async () => {
    const { s, dga } = await start({ timeoutMs: 30_000 });
    dga.answers.push(() => new Promise<DgaSendOutcome>(() => undefined));
    await s.ingest(wellReadings(at(0), 10, 1000, 50));
    s.clock.t = at(0, 10);
    void s.engine.tick();
    await waitUntil(() => dga.sent.length === 1);
    const again = new ScriptedDga(s.clock);
    const restarted = s.restart(clientsOf(again));
    s.clock.t = at(0, 12);
    await restarted.start();
    await restarted.tick();
    expect(await s.queue.submission(WELL.code, at(0))).toMatchObject({ state: 'failed', lastOutcome: 'interrupted', nextAttemptAt: at(0, 12) + 24 * HOUR });
    for (let h = 1; h < 24; h++) {
      s.clock.t = at(0, 12) + h * HOUR;
      await restarted.tick();
    }
    expect(again.sent).toEqual([]);
    s.clock.t = at(0, 12) + 24 * HOUR;
    await restarted.tick();
    expect(again.sent).toHaveLength(1);
  });
});

describe('DGA: resends of one slot are capped', () => {
  it('stops a slot for a person after maxAttemptsPerSlot sends without a settling answer; a person retry allows as many again', async () => {
    const { s, dga } = await start();
    const noAnswer = (): DgaSendOutcome => ({ kind: 'invalid', reason: 'HTTP 502: an HTML page', httpStatus: 502 });
    dga.answers.push(noAnswer, () => ({ kind: 'rejected', status: 400, code: '03', message: 'formato', httpStatus: 400 }), noAnswer, noAnswer);
    await s.ingest(wellReadings(at(0), 10, 1000, 50));
    s.clock.t = at(0, 10);
    await s.engine.tick();
    await run(s, 24 * 5, HOUR);
    expect(hoursSent(dga)).toEqual([0, 0, 0]);
    expect(await s.queue.submission(WELL.code, at(0))).toMatchObject({
      state: 'needs-attention',
      attempts: 3,
      lastOutcome: 'invalid',
      nextAttemptAt: null,
      lastMessage: expect.stringContaining('maxAttemptsPerSlot 3'),
    });
    expect((await s.queue.obraState(WELL.code))?.stoppedAt).toBeNull();
    expect((await s.engine.status())[0]?.problems.filter((p) => p.state !== 'missing')).toMatchObject([{ state: 'needs-attention', attempts: 3 }]);
    expect(await s.engine.retry(WELL.code, at(0))).toMatchObject({ from: 'needs-attention', to: 'pending' });
    await run(s, 1);
    expect(hoursSent(dga)).toEqual([0, 0, 0, 0]);
    expect(await s.queue.submission(WELL.code, at(0))).toMatchObject({ state: 'failed', attempts: 4 });
  });

  it('does not send a slot whose cap was reached by interrupted sends', async () => {
    const { s, dga } = await start({ maxAttemptsPerSlot: 1, timeoutMs: 1000, unknownOutcomeDelayMs: 0 });
    dga.answers.push(() => new Promise<DgaSendOutcome>(() => undefined));
    await s.ingest(wellReadings(at(0), 10, 1000, 50));
    s.clock.t = at(0, 10);
    void s.engine.tick();
    await waitUntil(() => dga.sent.length === 1);
    const again = new ScriptedDga(s.clock);
    const restarted = s.restart(clientsOf(again));
    s.clock.t = at(0, 20);
    await restarted.start();
    await restarted.tick();
    await restarted.tick();
    expect(again.sent).toEqual([]);
    expect(await s.queue.submission(WELL.code, at(0))).toMatchObject({ state: 'needs-attention', lastOutcome: 'attempts-exhausted' });
  });
});

describe('DGA: derivation', () => {
  it('an unsendable totalizer is no baseline: later slots are derived against the last good one and sent', async () => {
    const { s, dga } = await start({ spacingMs: 0 });
    await s.ingest([...wellReadings(at(0), 1, 1e15, 50), ...wellReadings(at(1), 1, 500, 50), ...wellReadings(at(2), 1, 510, 50)]);
    s.clock.t = at(2, 10);
    await run(s, 5);
    expect(await s.queue.submission(WELL.code, at(0))).toMatchObject({ state: 'needs-attention', lastOutcome: 'unsendable' });
    expect(dga.sent.map((x) => [(x.slot - DAY0) / HOUR, x.measurement.totalizador])).toEqual([
      [1, 500],
      [2, 510],
    ]);
  });

  it('sends a negative flow within the zero drift as 0, and names only the flow when a larger one is missing', async () => {
    const { s, dga } = await start({ spacingMs: 0 });
    await s.ingest([...wellReadings(at(0), -0.004, 1000, 50), ...wellReadings(at(1), -0.5, 1001, 50)]);
    s.clock.t = at(1, 10);
    await run(s, 3);
    expect(dga.sent.map((x) => x.measurement)).toEqual([{ at: at(0), caudal: 0, totalizador: 1000, nivelFreatico: 10 }]);
    expect(await s.queue.submission(WELL.code, at(1))).toMatchObject({ state: 'missing', missingReason: 'caudal: negative flow (-0.5 l/s)' });
  });

  it('takes the deadband from the obra (flowDeadbandLps)', async () => {
    const { s, dga } = await start({ spacingMs: 0, obras: [{ ...WELL, flowDeadbandLps: 0.6 }] });
    await s.ingest(wellReadings(at(0), -0.5, 1000, 50));
    s.clock.t = at(0, 10);
    await run(s, 1);
    expect(dga.sent.map((x) => x.measurement.caudal)).toEqual([0]);
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error('condition not reached');
}
