import { flowmeter, flowmeter64 } from '../../protocols/profiles/flowmeter.ts';
import type { ChannelSpec } from '../../protocols/profiles/index.ts';
import type { DeviceParams, SimDevice } from './device.ts';
import { ModelTime, resolveParams } from './device.ts';
import { RegisterImage } from './register-image.ts';
import type { ScenarioName, ScenarioPlan } from './scenarios.ts';
import { buildScenario, channelValue, cycleTime, faultBitSet, integrate } from './scenarios.ts';

/**
 * Parameters (device config `params`): `flow` baseline (L/s, default 12.5), `waterColumnM`
 * baseline (m above the pressure sensor, 35), `totalizerM3` at start (m³, 0), `sensorDepthM`
 * (m below the well head, 60; only used to report the true `level` in values()).
 */
export const FLOWMETER_PARAMS: DeviceParams = { flow: 12.5, waterColumnM: 35, totalizerM3: 0, sensorDepthM: 60 };

/**
 * Register map (protocols/profiles/flowmeter.ts) with BOTH totalizer encodings, uint32 ×0.1 at
 * holding 2–3 and uint64 ×0.001 at 4–7, so either flowmeter profile reads the same device.
 *   holding 11–15 spare, writable · input 0–15 mirror of holding · discrete 0–15 the bits of the
 *   status register (holding 10) · coils 0–7 spare, writable
 */
export const FLOWMETER_LAYOUT = { holding: 16, input: 16, coils: 8, discrete: 16 } as const;
const STATUS_REGISTER = 10;
const FIELDS: readonly ChannelSpec[] = [...flowmeter.channels, ...flowmeter64.channels.filter((c) => !flowmeter.channels.some((d) => d.address === c.address))];

export interface FlowmeterOptions {
  readonly unitId: number;
  readonly scenario: ScenarioName;
  readonly params?: DeviceParams;
}

/**
 * Electromagnetic well flowmeter. The forward totalizer integrates the reported flow:
 * L/s × s / 1000 = m³. Reverse flow sets the reverse-flow bit and is not totalized; a coil
 * fault stops the totalizer because the meter cannot measure.
 */
export class FlowmeterModel implements SimDevice {
  readonly kind = 'flowmeter' as const;
  readonly unitId: number;
  scenario: ScenarioName;
  readonly image = new RegisterImage(FLOWMETER_LAYOUT);
  private readonly params: Record<string, number>;
  private readonly baseline: Record<string, number>;
  private plan: ScenarioPlan;
  private time = new ModelTime();
  private totalizer: number;
  private current: Record<string, number> = {};

  constructor(options: FlowmeterOptions) {
    this.unitId = options.unitId;
    this.scenario = options.scenario;
    this.params = resolveParams(FLOWMETER_PARAMS, options.params);
    this.baseline = { flow: this.params['flow'] ?? 0, water_column: this.params['waterColumnM'] ?? 0 };
    this.plan = buildScenario(options.scenario, 'flowmeter', this.baseline);
    this.totalizer = this.params['totalizerM3'] ?? 0;
  }

  advance(nowMs: number): void {
    const step = this.time.step(nowMs);
    if (step === undefined) return;
    const flowAt = (t: number): number => channelValue(this.plan, this.baseline, 'flow', t);
    this.totalizer += integrate(this.plan, 'flow', (t) => Math.max(0, flowAt(t)), step.from, step.to) / 1000;
    const t = cycleTime(this.plan, step.to);
    const flow = flowAt(t);
    const column = channelValue(this.plan, this.baseline, 'water_column', t);
    const v: Record<string, number> = {
      flow,
      totalizer: this.totalizer,
      water_column: column,
      level: (this.params['sensorDepthM'] ?? 0) - column,
    };
    for (const bit of flowmeter.status) v[bit.key] = faultBitSet(this.plan, bit.key, t) ? 1 : 0;
    v['reverse_flow'] = flow < 0 ? 1 : 0;
    this.current = v;
    this.publish(v);
  }

  setScenario(scenario: ScenarioName, nowMs: number): void {
    this.advance(nowMs);
    this.scenario = scenario;
    this.plan = buildScenario(scenario, 'flowmeter', this.baseline);
    this.time = new ModelTime();
    this.advance(nowMs);
  }

  elapsedS(nowMs: number): number {
    return this.time.elapsedS(nowMs);
  }

  values(): Readonly<Record<string, number>> {
    return { ...this.current };
  }

  private publish(v: Readonly<Record<string, number>>): void {
    const img = this.image;
    for (const f of FIELDS) img.setField(f, v[f.key] ?? 0, f.resolution);
    for (const bit of flowmeter.status) img.setBit(bit, v[bit.key] === 1);
    img.input.set(img.holding);
    const status = img.holding[STATUS_REGISTER]!;
    for (let i = 0; i < img.discrete.length; i++) img.discrete[i] = (status >> i) & 1;
  }
}
