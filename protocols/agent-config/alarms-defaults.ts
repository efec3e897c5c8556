import type { AlarmRule } from './alarms-types.ts';

/**
 * Alarm rules used for a profile's channels unless the config says otherwise (`alarms.defaults`),
 * by profile id then channel. Only the gas detector has defaults: flow and level limits depend on
 * the well and its water-rights grant, so there is no sensible default for them.
 *
 * These are starting points that match common practice, not a substitute for the site's risk
 * assessment; site-specific limits (Chile: DS 594 art. 66 weighted limits, corrected for the
 * shift length) belong in the config.
 */
export const BUILTIN_ALARM_DEFAULTS: ReadonlyMap<string, Readonly<Record<string, readonly AlarmRule[]>>> = new Map([
  [
    'gas-detector',
    {
      // Methane, %LEL (range 0–100). 10 %LEL is where OSHA 29 CFR 1910.146(b) calls an atmosphere
      // hazardous (flammable gas above 10 % of its LFL) and the usual first set point; 20 %LEL the
      // usual second set point (evacuate, cut power). The second stage latches, as explosive-gas
      // alarms commonly do, so a passing cloud cannot clear it before someone has seen it.
      // Hysteresis 2 %LEL: 2 % of the range.
      ch4: [
        { rule: 'high1', kind: 'high', level: 'warning', threshold: 10, hysteresis: 2, latching: false },
        { rule: 'high2', kind: 'high', level: 'alarm', threshold: 20, hysteresis: 2, latching: true },
      ],
      // Hydrogen sulphide, ppm (range 0–200). ACGIH TLV-TWA 1 ppm, STEL 5 ppm; 5/10 ppm are the
      // usual A1/A2 settings of fixed detectors (10 ppm was the TLV-TWA before 2010). Hysteresis
      // 1 ppm: 2 % of the range (4 ppm) would hold the 5 ppm warning until the air is almost clean.
      h2s: [
        { rule: 'high1', kind: 'high', level: 'warning', threshold: 5, hysteresis: 1, latching: false },
        { rule: 'high2', kind: 'high', level: 'alarm', threshold: 10, hysteresis: 1, latching: false },
      ],
      // Carbon monoxide, ppm (range 0–1000). Warning at the ACGIH TLV-TWA 25 ppm; alarm at 50 ppm,
      // the OSHA PEL (29 CFR 1910.1000 Table Z-1) and a typical A2. Hysteresis 5 ppm, for the same
      // reason as H2S (2 % of the range is 20 ppm).
      co: [
        { rule: 'high1', kind: 'high', level: 'warning', threshold: 25, hysteresis: 5, latching: false },
        { rule: 'high2', kind: 'high', level: 'alarm', threshold: 50, hysteresis: 5, latching: false },
      ],
      // Oxygen, %vol (range 0–30). OSHA 29 CFR 1910.146(b): deficient below 19.5 %, enriched above
      // 23.5 %. Both are alarms: either one makes the space unsafe to enter. Hysteresis 0.6 %vol:
      // 2 % of the range, well clear of normal air (20.9 %).
      o2: [
        { rule: 'low1', kind: 'low', level: 'alarm', threshold: 19.5, hysteresis: 0.6, latching: false },
        { rule: 'high1', kind: 'high', level: 'alarm', threshold: 23.5, hysteresis: 0.6, latching: false },
      ],
    },
  ],
]);
