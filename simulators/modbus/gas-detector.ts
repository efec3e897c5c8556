import { gasDetector } from '../../protocols/profiles/gas-detector.ts';
import type { DeviceParams, SimDevice } from './device.ts';
import { ModelTime, resolveParams } from './device.ts';
import { RegisterImage } from './register-image.ts';
import type { ScenarioName, ScenarioPlan } from './scenarios.ts';
import { buildScenario, channelValue, cycleTime, faultBitSet } from './scenarios.ts';

/**
 * Parameters (device config `params`): baselines `ch4` (%LEL, default 0), `h2s` (ppm, 0), `co`
 * (ppm, 0), `o2` (%vol, 20.9); initial alarm setpoints `alarm1` and `alarm2` (%LEL, 10 and 20,
 * the usual factory settings for methane).
 */
export const GAS_DETECTOR_PARAMS: DeviceParams = { ch4: 0, h2s: 0, co: 0, o2: 20.9, alarm1: 10, alarm2: 20 };

/**
 * Register map beyond the profile (protocols/profiles/gas-detector.ts, holding 0–4):
 *   holding 5–6  alarm 1 / alarm 2 setpoints, %LEL ×0.1, writable (FC06/16), used by the model
 *   holding 7–15 spare, writable, never touched by the model
 *   input 0–15   mirror of holding 0–15 (many detectors serve FC04 too)
 *   discrete 0–15 the 16 bits of the status register (holding 4)
 *   coils 0–7    spare, writable
 * Measurement registers accept writes but are refreshed at the next advance, as on a device
 * whose sensor keeps updating them.
 */
export const GAS_DETECTOR_LAYOUT = { holding: 16, input: 16, coils: 8, discrete: 16 } as const;
const SETPOINT_1 = 5;
const SETPOINT_2 = 6;
const STATUS_REGISTER = 4;

export interface GasDetectorOptions {
  readonly unitId: number;
  readonly scenario: ScenarioName;
  readonly params?: DeviceParams;
}

/** A fixed multi-gas detector whose CH4 alarm relays follow its setpoints. */
export class GasDetectorModel implements SimDevice {
  readonly kind = 'gas-detector' as const;
  readonly unitId: number;
  scenario: ScenarioName;
  readonly image = new RegisterImage(GAS_DETECTOR_LAYOUT);
  private readonly baseline: Record<string, number>;
  private plan: ScenarioPlan;
  private time = new ModelTime();
  private current: Record<string, number> = {};

  constructor(options: GasDetectorOptions) {
    this.unitId = options.unitId;
    this.scenario = options.scenario;
    this.baseline = resolveParams(GAS_DETECTOR_PARAMS, options.params);
    this.plan = buildScenario(options.scenario, 'gas-detector', this.baseline);
    this.image.holding[SETPOINT_1] = Math.round((this.baseline['alarm1'] ?? 10) * 10);
    this.image.holding[SETPOINT_2] = Math.round((this.baseline['alarm2'] ?? 20) * 10);
  }

  advance(nowMs: number): void {
    const step = this.time.step(nowMs);
    if (step === undefined) return;
    const t = cycleTime(this.plan, step.to);
    const v: Record<string, number> = {};
    for (const ch of gasDetector.channels) v[ch.key] = channelValue(this.plan, this.baseline, ch.key, t);
    for (const bit of gasDetector.status) v[bit.key] = faultBitSet(this.plan, bit.key, t) ? 1 : 0;
    const ch4 = v['ch4'] ?? 0;
    v['alarm_1'] = ch4 >= this.image.holding[SETPOINT_1]! / 10 ? 1 : 0;
    v['alarm_2'] = ch4 >= this.image.holding[SETPOINT_2]! / 10 ? 1 : 0;
    this.current = v;
    this.publish(v);
  }

  setScenario(scenario: ScenarioName, nowMs: number): void {
    this.advance(nowMs);
    this.scenario = scenario;
    this.plan = buildScenario(scenario, 'gas-detector', this.baseline);
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
    for (const ch of gasDetector.channels) img.setField(ch, v[ch.key] ?? 0, ch.resolution);
    for (const bit of gasDetector.status) img.setBit(bit, v[bit.key] === 1);
    img.input.set(img.holding);
    const status = img.holding[STATUS_REGISTER]!;
    for (let i = 0; i < img.discrete.length; i++) img.discrete[i] = (status >> i) & 1;
  }
}
