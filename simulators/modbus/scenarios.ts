/**
 * Scenarios: what a simulated device measures over time. Times are seconds since the device
 * started; every scenario repeats with its cycle so a bench can run for hours.
 *
 * | name            | devices      | cycle | what happens                                              |
 * |-----------------|--------------|-------|-----------------------------------------------------------|
 * | `steady`        | both         | 60 s  | every channel holds its baseline (device params)          |
 * | `gas-leak`      | gas-detector | 180 s | CH4 baseline until 10 s, ramps to 30 %LEL at 70 s (crosses 10 at 30 s and 20 at 50 s), holds to 90 s, falls back to baseline at 150 s (below 20 at 110 s, below 10 at 130 s): alarm 1 and 2 raise and clear |
 * | `sensor-fault`  | both         | 90 s  | gas: CH4 fault bit 20–60 s, CH4 reads 0. Flowmeter: coil fault 20–40 s (flow reads 0, totalizer stops), level-sensor fault 50–80 s (water column frozen) |
 * | `flow-steps`    | flowmeter    | 120 s | flow 0 → 12.5 L/s at 10 s → 30 at 40 s → 5 at 70 s → 0 at 100 s; the totalizer integrates |
 * | `level-changes` | flowmeter    | 300 s | pump starts at 10 s (20 L/s): water column draws down 8 m by 70 s, pump stops at 130 s, column recovers to baseline by 250 s |
 *
 * Channels are piecewise-linear or stepped tracks, so the totalizer can integrate them exactly
 * whatever the tick interval (see integrate()).
 */
import type { DeviceKind } from './device.ts';

export const SCENARIO_NAMES = ['steady', 'gas-leak', 'sensor-fault', 'flow-steps', 'level-changes'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** A channel over one cycle: [seconds, value] points, held flat before the first and after the last. */
export interface Track {
  readonly interpolate: 'linear' | 'step';
  readonly points: readonly (readonly [number, number])[];
}

/** While active, a status bit is set and its channel reads 0 (`zero`) or its value at `fromS` (`freeze`). */
export interface FaultWindow {
  readonly bit: string;
  readonly channel: string;
  readonly fromS: number;
  readonly toS: number;
  readonly hold: 'zero' | 'freeze';
}

export interface ScenarioPlan {
  readonly cycleS: number;
  readonly tracks: Readonly<Record<string, Track>>;
  readonly faults: readonly FaultWindow[];
}

interface ScenarioDef {
  readonly kinds: readonly DeviceKind[];
  readonly cycleS: number;
  build(kind: DeviceKind, base: Readonly<Record<string, number>>): Omit<ScenarioPlan, 'cycleS'>;
}

const linear = (points: Array<[number, number]>): Track => ({ interpolate: 'linear', points });
const step = (points: Array<[number, number]>): Track => ({ interpolate: 'step', points });
const base = (b: Readonly<Record<string, number>>, key: string): number => b[key] ?? 0;

const SCENARIOS: Readonly<Record<ScenarioName, ScenarioDef>> = {
  steady: { kinds: ['gas-detector', 'flowmeter'], cycleS: 60, build: () => ({ tracks: {}, faults: [] }) },
  'gas-leak': {
    kinds: ['gas-detector'],
    cycleS: 180,
    build: (_k, b) => {
      const b0 = base(b, 'ch4');
      return {
        tracks: {
          ch4: linear([
            [0, b0],
            [10, b0],
            [70, 30],
            [90, 30],
            [150, b0],
          ]),
        },
        faults: [],
      };
    },
  },
  'sensor-fault': {
    kinds: ['gas-detector', 'flowmeter'],
    cycleS: 90,
    build: (kind) => ({
      tracks: {},
      faults:
        kind === 'gas-detector'
          ? [{ bit: 'fault_ch4', channel: 'ch4', fromS: 20, toS: 60, hold: 'zero' }]
          : [
              { bit: 'fault_coil', channel: 'flow', fromS: 20, toS: 40, hold: 'zero' },
              { bit: 'fault_level', channel: 'water_column', fromS: 50, toS: 80, hold: 'freeze' },
            ],
    }),
  },
  'flow-steps': {
    kinds: ['flowmeter'],
    cycleS: 120,
    build: () => ({
      tracks: {
        flow: step([
          [0, 0],
          [10, 12.5],
          [40, 30],
          [70, 5],
          [100, 0],
        ]),
      },
      faults: [],
    }),
  },
  'level-changes': {
    kinds: ['flowmeter'],
    cycleS: 300,
    build: (_k, b) => {
      const c = base(b, 'water_column');
      // Drawdown is fast at first and levels off (Theis-like), recovery mirrors it.
      const column = linear([
        [0, c],
        [10, c],
        [20, c - 4],
        [40, c - 7],
        [70, c - 8],
        [130, c - 8],
        [140, c - 4],
        [170, c - 1],
        [250, c],
      ]);
      return {
        tracks: {
          flow: step([
            [0, 0],
            [10, 20],
            [130, 0],
          ]),
          water_column: column,
        },
        faults: [],
      };
    },
  },
};

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

export function scenarioKinds(name: ScenarioName): readonly DeviceKind[] {
  return SCENARIOS[name].kinds;
}

export function buildScenario(name: ScenarioName, kind: DeviceKind, baseline: Readonly<Record<string, number>>): ScenarioPlan {
  const def = SCENARIOS[name];
  return { cycleS: def.cycleS, ...def.build(kind, baseline) };
}

/** Value of a track at `t` seconds into its cycle. */
export function trackValue(track: Track, t: number): number {
  const pts = track.points;
  const first = pts[0];
  if (first === undefined) return 0;
  if (t <= first[0]) return first[1];
  for (let i = 1; i < pts.length; i++) {
    const [t1, v1] = pts[i]!;
    if (t < t1) {
      const [t0, v0] = pts[i - 1]!;
      return track.interpolate === 'step' ? v0 : v0 + ((v1 - v0) * (t - t0)) / (t1 - t0);
    }
  }
  return pts[pts.length - 1]![1];
}

/** Position within the cycle of an absolute elapsed time. */
export function cycleTime(plan: ScenarioPlan, elapsedS: number): number {
  const t = elapsedS % plan.cycleS;
  return t < 0 ? t + plan.cycleS : t;
}

/** Times within one cycle where a channel's value may change slope or jump. */
function breakpoints(plan: ScenarioPlan, channel: string): number[] {
  const out = [0];
  for (const [t] of plan.tracks[channel]?.points ?? []) out.push(t);
  for (const f of plan.faults) if (f.channel === channel) out.push(f.fromS, f.toS);
  return out;
}

/**
 * ∫ f dt over absolute elapsed seconds [t0, t1]. Between consecutive breakpoints f is linear or
 * constant, where the midpoint rule is exact, so the result does not depend on the tick interval.
 */
export function integrate(plan: ScenarioPlan, channel: string, f: (cycleT: number) => number, t0: number, t1: number): number {
  if (t1 <= t0) return 0;
  const within = breakpoints(plan, channel);
  const cuts = [t0, t1];
  for (let k = Math.floor(t0 / plan.cycleS); k * plan.cycleS < t1; k++) {
    for (const b of within) {
      const t = k * plan.cycleS + b;
      if (t > t0 && t < t1) cuts.push(t);
    }
  }
  cuts.sort((a, b) => a - b);
  let sum = 0;
  for (let i = 1; i < cuts.length; i++) {
    const a = cuts[i - 1]!;
    const b = cuts[i]!;
    if (b > a) sum += f(cycleTime(plan, (a + b) / 2)) * (b - a);
  }
  return sum;
}

/** Channels whose fault window is active at cycle time `t`. */
function activeFault(plan: ScenarioPlan, channel: string, t: number): FaultWindow | undefined {
  return plan.faults.find((f) => f.channel === channel && t >= f.fromS && t < f.toS);
}

/** The value a channel reports at cycle time `t`: its track (or baseline), unless a fault holds it. */
export function channelValue(plan: ScenarioPlan, baseline: Readonly<Record<string, number>>, channel: string, t: number): number {
  const track = plan.tracks[channel];
  const raw = (at: number): number => (track ? trackValue(track, at) : (baseline[channel] ?? 0));
  const fault = activeFault(plan, channel, t);
  if (fault === undefined) return raw(t);
  return fault.hold === 'zero' ? 0 : raw(fault.fromS);
}

/** True while a fault window sets status bit `bit`. */
export function faultBitSet(plan: ScenarioPlan, bit: string, t: number): boolean {
  return plan.faults.some((f) => f.bit === bit && t >= f.fromS && t < f.toS);
}
