/**
 * The LoRaWAN flowmeter the provider simulators report (issue 17 §6): a well pump cycling slowly
 * (flow in L/s around a base with a daily swing), a totalizer in m³ that integrates that flow
 * exactly, and the water level below the surface in m drawing down while the pump runs. A pure
 * function of time, so every simulator (and a test computing what DGA must hold) agrees on the
 * value at any instant without sharing state.
 */

export interface FlowmeterModel {
  /** Mean flow, L/s. */
  readonly baseLps: number;
  /** Amplitude of the daily swing, L/s (≤ baseLps). */
  readonly swingLps: number;
  /** Totalizer at t0, m³. */
  readonly totalizerM3: number;
  /** Static level below the surface with no pumping, m; the drawdown adds levelPerLps × flow. */
  readonly staticLevelM: number;
  readonly levelPerLps: number;
  /** Time the totalizer reads totalizerM3, ms. */
  readonly t0: number;
}

export const DEFAULT_FLOWMETER: Omit<FlowmeterModel, 't0'> = {
  baseLps: 12.5,
  swingLps: 2.5,
  totalizerM3: 48_210.4,
  staticLevelM: 27.3,
  levelPerLps: 0.18,
};

const DAY_MS = 86_400_000;
const OMEGA = (2 * Math.PI) / DAY_MS;

export interface FlowmeterReading {
  /** L/s, 3 decimals. */
  readonly flow: number;
  /** m³, 3 decimals. */
  readonly totalizer: number;
  /** m below the surface, 2 decimals. */
  readonly level: number;
}

const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;

/** The reading at `t` (ms): flow = base + swing·sin(ωt); totalizer = its integral (L → m³). */
export function flowmeterAt(m: FlowmeterModel, t: number): FlowmeterReading {
  const flow = m.baseLps + m.swingLps * Math.sin(OMEGA * t);
  // ∫ base + swing·sin(ωs) ds from t0 to t, in L·ms → m³ (÷ 1000 L/m³ ÷ 1000 ms/s).
  const litresMs = m.baseLps * (t - m.t0) - (m.swingLps / OMEGA) * (Math.cos(OMEGA * t) - Math.cos(OMEGA * m.t0));
  return {
    flow: round(flow, 3),
    totalizer: round(m.totalizerM3 + litresMs / 1e6, 3),
    level: round(m.staticLevelM + m.levelPerLps * flow, 2),
  };
}
