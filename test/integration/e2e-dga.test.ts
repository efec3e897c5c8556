import { afterEach, describe, expect, it } from 'vitest';
import type { RelayRecord } from '../../cloud/store/types.ts';
import { waitFor } from '../helpers/wait.ts';
import type { Chain, ChainObra } from './e2e-dga-setup.ts';
import { GATEWAY, HOUR, MINUTE, ScaledClock, startChain, TOLERANCE_MS } from './e2e-dga-setup.ts';

/**
 * The end to end: flowmeter simulator → agent → relay → DGA simulator, for a well and a
 * surface flowmeter. One clock runs ×600 (a real second is 10 minutes) for every part, so three
 * hourly slots pass in about 15 s; the steady scenario holds flow and water column, and the
 * totalizer integrates the flow over that clock.
 */
const FACTOR = 600;
const SLOTS = 3;

const WELL: ChainObra = {
  code: 'OB-0602-7',
  kind: 'subterranea',
  device: 'pozo',
  unitId: 1,
  sensorDepthM: 72.5,
  params: { flow: 14.637, waterColumnM: 41.234, totalizerM3: 1500.3, sensorDepthM: 72.5 },
};
const SURFACE: ChainObra = {
  code: 'OB-0602-9',
  kind: 'superficial-flujometro',
  device: 'canal',
  unitId: 2,
  sensorDepthM: 60,
  params: { flow: 8.123, totalizerM3: 98765.4 },
};
/** What DGA must hold besides the totalizer: caudal 2 decimals; level = 72.5 − 41.234 m, 2 decimals; wells only. */
const FIXED = {
  [WELL.code]: { caudal: '14.64', nivelFreaticoDelPozo: '31.27' },
  [SURFACE.code]: { caudal: '8.12' },
};

/** DGA's fixed UTC-4 date and hour of a slot (Manual Técnico N°1/2025: no daylight saving), computed here independently. */
function utcMinus4(slot: number): { fechaMedicion: string; horaMedicion: string } {
  const iso = new Date(slot - 4 * HOUR).toISOString();
  return { fechaMedicion: iso.slice(0, 10), horaMedicion: iso.slice(11, 19) };
}

let chain: Chain | undefined;
afterEach(async () => {
  await chain?.stop();
  chain = undefined;
});

describe('flowmeter simulators → agent → relay → DGA simulator', () => {
  it("DGA holds one measurement per obra per hour with the simulators' values in DGA formats, each receipt at the relay, none sent twice", async () => {
    // A past hour boundary: the DGA double refuses measurements in its future, and the clock stays in the past.
    const first = Math.floor(Date.now() / HOUR) * HOUR - 6 * HOUR;
    const clock = new ScaledClock(first - 3 * MINUTE, FACTOR);
    const c = (chain = await startChain({ clock, obras: [WELL, SURFACE], startAt: new Date(first).toISOString() }));
    const records = async (device: string, channel: string, from: number, to: number): Promise<RelayRecord[]> =>
      (await c.relay.store.queryRecords({ gateway: GATEWAY, device, channel, kind: 'reading', from, to, limit: 10_000 })).items;

    // Time runs once readings of both devices flow through to the relay.
    await waitFor(
      async () =>
        (await records(WELL.device, 'flow', 0, Number.MAX_SAFE_INTEGER)).length > 0 &&
        (await records(SURFACE.device, 'flow', 0, Number.MAX_SAFE_INTEGER)).length > 0,
      'first readings of both flowmeters at the relay',
      20_000,
    );
    clock.run();

    // dga.schedule is cron on real time, so the test ticks (every 50 real ms = 30 scaled s) until
    // SLOTS slots of both obras are at DGA and nothing derived is left unsent.
    const done = async (): Promise<boolean> => {
      for (const o of [WELL, SURFACE]) {
        if (c.dgaSim.measurements(o.code).length < SLOTS) return false;
        const [status] = await c.dga.status(o.code);
        if (status === undefined || status.counts.pending > 0 || status.counts.sending > 0) return false;
      }
      return true;
    };
    const deadline = Date.now() + 60_000;
    for (;;) {
      await c.dga.tick();
      if (await done()) break;
      if (Date.now() > deadline)
        throw new Error(`timed out: DGA holds ${[WELL, SURFACE].map((o) => c.dgaSim.measurements(o.code).length).join(' and ')} measurements`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    for (const o of [WELL, SURFACE]) {
      // The simulated meter's time origin (monotonic ms at its first model step).
      const origin = clock.monotonic() - c.modbus.device(o.unitId)!.elapsedS(clock.monotonic()) * 1000;
      const held = c.dgaSim.measurements(o.code);
      const slots = held.map((m) => m.measuredAt);
      // Every hour since startAt, each once, in order.
      expect(held.length).toBeGreaterThanOrEqual(SLOTS);
      expect(slots).toEqual(Array.from({ length: held.length }, (_, i) => first + i * HOUR));
      const flow = o.params['flow']!;
      for (const m of held) {
        expect(m, `${o.code} ${m.horaMedicion}`).toMatchObject({ ...utcMinus4(m.measuredAt), ...FIXED[o.code], transport: 'rest', kind: o.kind });
        expect(Object.hasOwn(m, 'nivelFreaticoDelPozo')).toBe(o.kind === 'subterranea');
        // Integer m³, the floor of a reading the agent took within the tolerance of the slot…
        expect(m.totalizador).toMatch(/^\d+$/);
        const near = await records(o.device, 'totalizer', m.measuredAt - TOLERANCE_MS, m.measuredAt + TOLERANCE_MS + 1);
        expect(
          near.map((r) => String(Math.floor(r.value!))),
          `${o.code} ${m.horaMedicion}`,
        ).toContain(m.totalizador);
        // …and the simulator's start value plus its flow integrated to the slot, within that tolerance
        // and 2 scaled minutes (0.2 real s) between the simulator's answer and the agent's timestamp.
        const expected = o.params['totalizerM3']! + (flow * (m.measuredAt - clock.t0 - origin)) / 1e6; // L/s × ms → m³
        expect(Math.abs(Number(m.totalizador) - expected), `${o.code} ${m.horaMedicion}: ${m.totalizador} vs ${expected}`).toBeLessThanOrEqual(
          (flow * (TOLERANCE_MS + 2 * MINUTE)) / 1e6 + 1,
        );
      }

      // The relay holds each receipt; nothing missing, refused or waiting.
      const [status] = await c.dga.status(o.code);
      expect(status).toMatchObject({
        counts: { accepted: held.length, pending: 0, sending: 0, missing: 0, failed: 0, rejected: 0, 'needs-attention': 0 },
        lateUnsent: 0,
        problems: [],
      });
      const accepted = (await c.dga.detail(o.code)).recent.filter((r) => r.state === 'accepted').reverse();
      expect(accepted.map((r) => [r.slotMs, r.receipt])).toEqual(held.map((m) => [m.measuredAt, m.receipt]));

      // No slot sent twice: one POST per slot, each accepted at once.
      const posts = c.dgaSim.requests().filter((r) => r.method === 'POST' && r.obra === o.code);
      expect(posts.map((r) => [r.fechaMedicion, r.horaMedicion, r.outcome])).toEqual(held.map((m) => [m.fechaMedicion, m.horaMedicion, 'accepted']));
    }

    // The agent's clock was trusted throughout: every reading kept its own timestamp.
    const all = await records(WELL.device, 'flow', 0, Number.MAX_SAFE_INTEGER);
    expect(all.every((r) => r.flags === 0 && r.tsCorrected === null && r.quality === 'good')).toBe(true);
  }, 90_000);
});
