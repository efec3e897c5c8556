import { afterEach, describe, expect, it } from 'vitest';
import type { DgaSendOutcome } from '../../cloud/dga/client.ts';
import { DgaEngine } from '../../cloud/dga/engine.ts';
import { DGA_ALREADY_ACCEPTED, DGA_NOT_RETRYABLE, DGA_UNKNOWN_OBRA, DGA_UNKNOWN_SLOT } from '../../cloud/dga/errors.ts';
import { RestDgaClient } from '../../cloud/dga/rest-client.ts';
import { KEY_MISMATCH } from '../../cloud/ingest/errors.ts';
import { newRelayKey, parseRelayKey } from '../../cloud/secrets.ts';
import type { DgaCredentials, DgaQueryOutcome, Measurement, WorkKind } from '../../protocols/dga/index.ts';
import { testLogger } from '../helpers/logger.ts';
import type { Setup } from './dga-engine-setup.ts';
import { at, CREDENTIALS, clientsOf, DAY0, HOUR, MINUTE, setup, WELL, wellReadings } from './dga-engine-setup.ts';

/** The queue rules of Res. Ex. DGA 2.170/2025 §3 with a fake clock and a fake DGA. */
interface Sent {
  readonly obra: string;
  readonly slot: number;
  /** Fake clock at the send. */
  readonly at: number;
  readonly measurement: Measurement;
}

type Answer = (sent: Sent) => DgaSendOutcome | Promise<DgaSendOutcome>;

/** The real REST client's request building and redaction; what DGA answers is scripted. */
class FakeDga extends RestDgaClient {
  readonly sent: Sent[] = [];
  readonly answers: Answer[] = [];
  private receipts = 0;
  /** Checked at each send: the audit must already hold the request. */
  beforeSend: ((sent: Sent) => Promise<void>) | undefined;

  constructor(private readonly clock: { now(): number }) {
    super({ baseUrl: 'http://dga.invalid/api/v1', timeoutMs: 1000, logger: testLogger() });
  }

  receipt(): string {
    return `R${String(++this.receipts).padStart(31, '0')}`;
  }

  override async send(obra: string, _kind: WorkKind, credentials: DgaCredentials, measurement: Measurement): Promise<DgaSendOutcome> {
    expect(credentials).toEqual(CREDENTIALS);
    const sent = { obra, slot: measurement.at, at: this.clock.now(), measurement };
    this.sent.push(sent);
    await this.beforeSend?.(sent);
    const answer = this.answers.shift();
    return answer === undefined ? { kind: 'accepted', receipt: this.receipt(), httpStatus: 200 } : answer(sent);
  }

  override async query(): Promise<DgaQueryOutcome> {
    return { kind: 'invalid', reason: 'not scripted' };
  }
}

let s: Setup | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

async function start(dga: Record<string, unknown> = {}): Promise<{ s: Setup; dga: FakeDga }> {
  let fake: FakeDga | undefined;
  const clients = { get: () => fake!, close: async () => undefined };
  s = await setup(clients, dga);
  fake = new FakeDga(s.clock);
  await s.engine.setCredentials(WELL.code, CREDENTIALS);
  await s.engine.start();
  return { s, dga: fake };
}

/** Readings every 10 minutes for hours [from, to), flow 10 + h l/s, totalizer 1000 + 10 h m³, column 50 m. */
async function hourlyReadings(setupValue: Setup, from: number, to: number): Promise<void> {
  const rows = [];
  for (let t = at(from); t < at(to); t += 10 * MINUTE) {
    const h = (t - DAY0) / HOUR;
    rows.push(...wellReadings(t, 10 + h, 1000 + 10 * h, 50));
  }
  await setupValue.ingest(rows);
}

/** Advances the fake clock a minute at a time, ticking, for `minutes`. */
async function run(setupValue: Setup, minutes: number): Promise<void> {
  for (let i = 0; i < minutes; i++) {
    setupValue.clock.t += MINUTE;
    await setupValue.engine.tick();
  }
}

const slotsSent = (dga: FakeDga): number[] => dga.sent.map((x) => (x.slot - DAY0) / HOUR);

describe('DGA engine: slots', () => {
  it('derives one measurement per hour in DGA units, level from the water column, once its window has closed', async () => {
    const { s, dga } = await start({ spacingMs: 0 });
    await hourlyReadings(s, 0, 3);
    s.clock.t = at(2, 4);
    await s.engine.tick();
    // 02:00 is not derived before 02:05 (readings up to +5 min may still come).
    expect((await s.queue.obraState(WELL.code))?.derivedThrough).toBe(at(1));
    expect(dga.sent.map((x) => x.measurement)).toEqual([{ at: at(0), caudal: 10, totalizador: 1000, nivelFreatico: 10 }]);
    await run(s, 2);
    expect(dga.sent.map((x) => x.measurement)).toEqual([
      { at: at(0), caudal: 10, totalizador: 1000, nivelFreatico: 10 },
      { at: at(1), caudal: 11, totalizador: 1010, nivelFreatico: 10 },
      { at: at(2), caudal: 12, totalizador: 1020, nivelFreatico: 10 },
    ]);
  });

  it('stores a slot without a good reading as missing with its reason, and derives it again when late readings arrive', async () => {
    const { s, dga } = await start({ spacingMs: 0 });
    await hourlyReadings(s, 0, 1);
    await s.ingest([{ channel: 'flow', value: null, ts: at(1), quality: 'comm_error' }, ...wellReadings(at(1) + 2 * MINUTE, 5, 1100, 70).slice(1)]);
    s.clock.t = at(2, 6);
    await s.engine.tick();
    await s.engine.tick();
    await s.engine.tick();
    expect(slotsSent(dga)).toEqual([0]);
    expect(await s.queue.submission(WELL.code, at(1))).toMatchObject({
      state: 'missing',
      measurement: null,
      missingReason: 'caudal: no good reading within ±5 min (comm_error ×1)',
    });
    expect(await s.queue.submission(WELL.code, at(2))).toMatchObject({ state: 'missing', missingReason: expect.stringContaining('no reading within ±5 min') });
    // The column is above the sensor depth: the level clamps at 0 rather than going negative.
    await s.ingest(wellReadings(at(2) + MINUTE, 3, 1200, 75));
    await s.engine.tick();
    expect(dga.sent.at(-1)?.measurement).toEqual({ at: at(2), caudal: 3, totalizador: 1200, nivelFreatico: 0 });
    expect((await s.engine.status())[0]).toMatchObject({
      counts: { missing: 1, accepted: 2 },
      problems: [{ state: 'missing', slot: '2025-06-16T01:00:00-04:00' }],
    });
  });

  it('unwraps a totalizer that rolled over, and refuses one that went backwards', async () => {
    const { s, dga } = await start({ spacingMs: 0, obras: [{ ...WELL, totalizerWrapAt: 10_000 }] });
    await s.ingest([
      ...wellReadings(at(0), 1, 9_990, 50),
      ...wellReadings(at(1), 1, 15, 50),
      ...wellReadings(at(2), 1, 30, 50),
      ...wellReadings(at(3), 1, 8_000, 50),
    ]);
    s.clock.t = at(4);
    for (let i = 0; i < 4; i++) await s.engine.tick();
    expect(dga.sent.map((x) => x.measurement.totalizador)).toEqual([9_990, 10_015, 10_030]);
    expect((await s.queue.submission(WELL.code, at(3)))?.missingReason).toMatch(/^totalizador: totalizer went backwards or jumped/);
  });

  it('derives one slot a day at 00:00 UTC-4 for the medio standard', async () => {
    const { s, dga } = await start({ spacingMs: 0, obras: [{ ...WELL, standard: 'medio' }] });
    await hourlyReadings(s, 0, 50);
    s.clock.t = at(48, 10);
    await run(s, 3);
    expect(dga.sent.map((x) => [(x.slot - DAY0) / HOUR, x.measurement.totalizador])).toEqual([
      [0, 1000],
      [24, 1240],
      [48, 1480],
    ]);
  });

  it('ignores readings whose time the relay could not place (unsynchronized clock, no correction)', async () => {
    const { s } = await start();
    await s.ingest(wellReadings(at(0), 1, 10, 50).map((r) => ({ ...r, flags: 1 })));
    s.clock.t = at(0, 10);
    await s.engine.tick();
    expect((await s.queue.submission(WELL.code, at(0)))?.state).toBe('missing');
  });
});

describe('DGA engine: sending rules', () => {
  it('sends a backlog one at a time, oldest first, at least spacingMs apart', async () => {
    const { s, dga } = await start();
    await hourlyReadings(s, 0, 6);
    s.clock.t = at(5, 5);
    await run(s, 40);
    expect(slotsSent(dga)).toEqual([0, 1, 2, 3, 4, 5]);
    const gaps = dga.sent.slice(1).map((x, i) => x.at - dga.sent[i]!.at);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(5 * MINUTE);
    expect(Math.max(...gaps)).toBeLessThan(6 * MINUTE);
  });

  it('audits each attempt before the request leaves and after, never with the password', async () => {
    const { s, dga } = await start();
    dga.beforeSend = async (sent) => {
      const lines = await s.queue.audit(sent.obra, sent.slot);
      expect(lines.map((l) => [l.phase, l.attempt])).toEqual([['request', 1]]);
    };
    await hourlyReadings(s, 0, 1);
    s.clock.t = at(0, 10);
    await s.engine.tick();
    const lines = await s.queue.audit(WELL.code, at(0));
    expect(lines.map((l) => l.phase)).toEqual(['request', 'outcome']);
    expect(lines[0]?.request).toMatchObject({
      interface: 'rest',
      url: 'http://dga.invalid/api/v1/mediciones/subterraneas',
      headers: { codigoObra: WELL.code, timeStampOrigen: '2025-06-16T00:10:00-0000' },
      body: {
        autenticacion: { password: '[redacted]', rutUsuario: CREDENTIALS.rutUsuario },
        medicionSubterranea: { caudal: '10.00', fechaMedicion: '2025-06-16', horaMedicion: '00:00:00', nivelFreaticoDelPozo: '10.00', totalizador: '1000' },
      },
    });
    expect(lines[1]).toMatchObject({ outcome: 'accepted', httpStatus: 200, receipt: dga.sent.length === 1 ? expect.stringMatching(/^R0+1$/) : null });
    expect(JSON.stringify(lines)).not.toContain(CREDENTIALS.password);
  });

  it('retries a refusal or a missing answer the next day, and never resends an accepted measurement', async () => {
    const { s, dga } = await start();
    dga.answers.push(
      () => ({ kind: 'rejected', status: 400, code: '03', message: 'caudal con formato inválido', httpStatus: 400 }),
      () => ({ kind: 'invalid', reason: 'HTTP 502: an HTML page', httpStatus: 502 }),
    );
    await hourlyReadings(s, 0, 2);
    s.clock.t = at(1, 5);
    await run(s, 10);
    expect(slotsSent(dga)).toEqual([0, 1]);
    expect(await s.queue.submission(WELL.code, at(0))).toMatchObject({
      state: 'rejected',
      lastMessage: 'status 03: caudal con formato inválido',
      lastHttpStatus: 400,
      nextAttemptAt: at(1, 6) + 24 * HOUR,
    });
    expect(await s.queue.submission(WELL.code, at(1))).toMatchObject({ state: 'failed', lastMessage: 'HTTP 502: an HTML page', lastHttpStatus: 502 });
    s.clock.t = at(1, 6) + 24 * HOUR - 2 * MINUTE;
    await run(s, 1);
    expect(dga.sent).toHaveLength(2);
    await run(s, 30);
    // Day 2: both again (spaced), plus the day's own slots: none, no readings. Then nothing more.
    expect(slotsSent(dga)).toEqual([0, 1, 0, 1]);
    await run(s, 120);
    expect(slotsSent(dga)).toEqual([0, 1, 0, 1]);
    await expect(s.engine.retry(WELL.code, at(0))).rejects.toMatchObject({ code: DGA_ALREADY_ACCEPTED });
    expect((await s.engine.status())[0]).toMatchObject({
      counts: { accepted: 2, rejected: 0, failed: 0 },
      acceptedLate: 2,
      lastAccepted: { slot: '2025-06-16T01:00:00-04:00' },
    });
  });

  it('takes a duplicate answer as accepted, with the receipt named in the message', async () => {
    const { s, dga } = await start();
    const receipt = 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6';
    dga.answers.push(() => ({ kind: 'duplicate', receipt, httpStatus: 400 }));
    await hourlyReadings(s, 0, 1);
    s.clock.t = at(0, 10);
    await run(s, 20);
    expect(dga.sent).toHaveLength(1);
    expect(await s.queue.submission(WELL.code, at(0))).toMatchObject({ state: 'accepted', receipt, lastOutcome: 'duplicate' });
  });

  it('stops an obra whose informant DGA does not recognize, keeps it visible, and resumes when credentials are set again', async () => {
    const other = { ...WELL, code: 'OB-0602-8', device: 'pozo-1' };
    const { s, dga } = await start({ spacingMs: 0, obras: [WELL, other] });
    await s.engine.setCredentials(other.code, CREDENTIALS);
    dga.answers.push((x) =>
      x.obra === WELL.code ? { kind: 'not-informant', httpStatus: 400 } : { kind: 'accepted', receipt: dga.receipt(), httpStatus: 200 },
    );
    await hourlyReadings(s, 0, 3);
    s.clock.t = at(2, 10);
    await run(s, 10);
    expect(dga.sent.filter((x) => x.obra === WELL.code).map((x) => x.slot)).toEqual([at(0)]);
    expect(dga.sent.filter((x) => x.obra === other.code)).toHaveLength(3);
    const [status] = await s.engine.status(WELL.code);
    expect(status).toMatchObject({
      stopped: { reason: 'DGA: the user is not the informant registered for the obra' },
      counts: { 'needs-attention': 1, pending: 2 },
    });
    expect(status?.problems[0]).toMatchObject({ state: 'needs-attention', lastOutcome: 'not-informant' });
    expect(await s.engine.setCredentials(WELL.code, CREDENTIALS)).toBe(1);
    await run(s, 3);
    expect(dga.sent.filter((x) => x.obra === WELL.code).map((x) => (x.slot - DAY0) / HOUR)).toEqual([0, 0, 1, 2]);
  });

  it('leaves a measurement it cannot encode for a person, and goes on with the next slots', async () => {
    const { s, dga } = await start({ spacingMs: 0 });
    await s.ingest([...wellReadings(at(0), 1, 2e15, 50), ...wellReadings(at(1), 1, 2e15 + 1, 50)]);
    await s.ingest(wellReadings(at(2), 1, 5, 50).filter((r) => r.channel !== 'totalizer'));
    s.clock.t = at(2, 10);
    await run(s, 5);
    expect(dga.sent).toEqual([]);
    expect(await s.queue.submission(WELL.code, at(0))).toMatchObject({
      state: 'needs-attention',
      lastOutcome: 'unsendable',
      lastMessage: expect.stringContaining('totalizador'),
    });
    expect((await s.queue.obraState(WELL.code))?.stoppedAt).toBeNull();
    expect(await s.queue.audit(WELL.code, at(0))).toMatchObject([{ phase: 'outcome', outcome: 'unsendable' }]);
  });

  it('sends nothing for an obra without credentials', async () => {
    let fake: FakeDga | undefined;
    s = await setup({ get: () => fake!, close: async () => undefined });
    fake = new FakeDga(s.clock);
    await s.engine.start();
    await hourlyReadings(s, 0, 2);
    s.clock.t = at(1, 10);
    await run(s, 3);
    expect(fake.sent).toEqual([]);
    expect((await s.engine.status())[0]).toMatchObject({ credentials: false, counts: { pending: 2 } });
  });
});

describe('DGA engine: unknown outcomes', () => {
  it('settles a send the relay died in by one later attempt, whose duplicate answer gives the receipt', async () => {
    const { s, dga } = await start({ timeoutMs: 30_000, unknownOutcomeDelayMs: 10 * MINUTE });
    dga.answers.push(() => new Promise<DgaSendOutcome>(() => undefined));
    await hourlyReadings(s, 0, 1);
    s.clock.t = at(0, 10);
    void s.engine.tick();
    await waitUntil(() => dga.sent.length === 1);
    expect((await s.queue.submission(WELL.code, at(0)))?.state).toBe('sending');

    // The relay died; another process starts on the same database.
    const again = new FakeDga(s.clock);
    const receipt = 'Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp';
    again.answers.push(() => ({ kind: 'duplicate', receipt, httpStatus: 400 }));
    const restarted = s.restart(clientsOf(again));
    s.clock.t = at(0, 11);
    await restarted.start();
    // Still within timeoutMs + grace of the claim: it may be in flight elsewhere, left alone.
    expect((await s.queue.submission(WELL.code, at(0)))?.state).toBe('sending');
    s.clock.t = at(0, 12);
    await restarted.tick();
    expect(await s.queue.submission(WELL.code, at(0))).toMatchObject({ state: 'failed', lastOutcome: 'interrupted', nextAttemptAt: at(0, 22) });
    for (let m = 13; m < 22; m++) {
      s.clock.t = at(0, m);
      await restarted.tick();
    }
    expect(again.sent).toEqual([]);
    s.clock.t = at(0, 22);
    await restarted.tick();
    await restarted.tick();
    expect(again.sent).toHaveLength(1);
    expect(await s.queue.submission(WELL.code, at(0))).toMatchObject({ state: 'accepted', receipt, attempts: 2 });
    expect((await s.queue.audit(WELL.code, at(0))).map((l) => [l.phase, l.attempt, l.outcome])).toEqual([
      ['request', 1, null],
      ['recovered', 1, 'interrupted'],
      ['request', 2, null],
      ['outcome', 2, 'duplicate'],
    ]);
  });
});

describe('DGA engine: start', () => {
  it('refuses to start with a relay key that does not decrypt the stored credentials', async () => {
    const { s, dga } = await start();
    const stranger = new DgaEngine({
      config: s.config,
      records: s.records,
      queue: s.queue,
      key: parseRelayKey(newRelayKey(), 'test'),
      clients: clientsOf(dga),
      clock: s.clock,
      logger: testLogger(),
    });
    await expect(stranger.start()).rejects.toMatchObject({ code: KEY_MISMATCH });
  });
});

describe('DGA engine: operator commands', () => {
  it('retries a failed slot at once (spacing still applies) and refuses unknown obras, slots and queued slots', async () => {
    const { s, dga } = await start();
    dga.answers.push(() => ({ kind: 'invalid', reason: 'no answer', httpStatus: null }));
    await hourlyReadings(s, 0, 1);
    s.clock.t = at(0, 10);
    await s.engine.tick();
    expect(await s.engine.retry(WELL.code, '2025-06-16T00:00:00-04:00')).toEqual({
      obra: WELL.code,
      slot: '2025-06-16T00:00:00-04:00',
      from: 'failed',
      to: 'pending',
      obraStopped: false,
    });
    await expect(s.engine.retry(WELL.code, at(0))).rejects.toMatchObject({ code: DGA_NOT_RETRYABLE });
    await s.engine.tick();
    expect(dga.sent).toHaveLength(1);
    s.clock.t = at(0, 15);
    await s.engine.tick();
    expect(dga.sent).toHaveLength(2);
    await expect(s.engine.retry('OB-0101-1', at(0))).rejects.toMatchObject({ code: DGA_UNKNOWN_OBRA });
    await expect(s.engine.retry(WELL.code, at(5))).rejects.toMatchObject({ code: DGA_UNKNOWN_SLOT });
    expect((await s.queue.audit(WELL.code, at(0))).map((l) => l.phase)).toEqual(['request', 'outcome', 'retry', 'request', 'outcome']);
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error('condition not reached');
}
