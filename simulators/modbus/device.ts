import type { RegisterImage } from './register-image.ts';
import type { ScenarioName } from './scenarios.ts';

export const DEVICE_KINDS = ['gas-detector', 'flowmeter'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Per-device numeric parameters (baselines, setpoints); each kind documents its keys and units. */
export type DeviceParams = Readonly<Record<string, number>>;

/**
 * A simulated device: a physical model driven by explicit time (no timers inside, so tests are
 * deterministic) and the register image it serves.
 */
export interface SimDevice {
  readonly kind: DeviceKind;
  readonly unitId: number;
  readonly scenario: ScenarioName;
  readonly image: RegisterImage;
  /**
   * Plays `scenario` from `nowMs` on (its time 0 is `nowMs`). Model state carries over: the
   * totalizer keeps counting, written registers (set points, spares) keep their values.
   */
  setScenario(scenario: ScenarioName, nowMs: number): void;
  /**
   * Moves the model to `nowMs` (monotonic ms) and refreshes the image. The first call sets the
   * scenario origin; calls with an earlier time than the last are ignored.
   */
  advance(nowMs: number): void;
  /** Seconds since the scenario origin at `nowMs` (0 before the first advance). */
  elapsedS(nowMs: number): number;
  /** Current values as the device reports them, engineering units before register rounding; bits 0/1. */
  values(): Readonly<Record<string, number>>;
}

/** Shared origin bookkeeping of the models. */
export class ModelTime {
  private origin: number | undefined;
  private last = 0;

  /** Elapsed seconds of the previous and the new time, or undefined if time did not move forward. */
  step(nowMs: number): { from: number; to: number } | undefined {
    if (this.origin === undefined) {
      this.origin = nowMs;
      return { from: 0, to: 0 };
    }
    const to = (nowMs - this.origin) / 1000;
    if (to < this.last) return undefined;
    const from = this.last;
    this.last = to;
    return { from, to };
  }

  elapsedS(nowMs: number): number {
    return this.origin === undefined ? 0 : Math.max(0, (nowMs - this.origin) / 1000);
  }
}

/** Known parameter keys with defaults; unknown keys are a config error reported by the simulator. */
export function resolveParams(defaults: DeviceParams, params: DeviceParams | undefined): Record<string, number> {
  return { ...defaults, ...params };
}
