/** Shared by the volumes and export tests: a flowmeter with a known flow profile as relay records. */
import { createHash } from 'node:crypto';
import type { IngestInput } from '../../cloud/store/types.ts';

export const MINUTE = 60_000;
export const DAY = 86_400_000;
/** uint32 × 0.1 m³ (protocols/profiles/flowmeter.ts registers 2–3). */
export const WRAP = 429_496_729.6;
export const BOOT = '5f1c2e0a-1b2c-4d5e-8f90-a1b2c3d4e5f6';

type Records = IngestInput['records'];

/**
 * One reading of flow (L/s) and totalizer (m³, whole counts of 0.1 modulo 2^32, as the register
 * gives it) every `stepMin` minutes over [from, from + minutes], the totalizer integrating `flowLps`.
 */
export function flowmeterRecords(
  gateway: string,
  device: string,
  from: number,
  minutes: number,
  startM3: number,
  flowLps: (t: number) => number,
  stepMin = 1,
  firstSeq = 1,
): Records {
  const out: Array<Records[number]> = [];
  let total = startM3;
  let seq = firstSeq;
  const push = (channel: string, value: number, unit: string, ts: number): void => {
    const n = seq++;
    out.push({
      gateway,
      seq: n,
      kind: 'reading',
      device,
      channel,
      value,
      unit,
      quality: 'good',
      exception: null,
      ts,
      tsCorrected: null,
      mono: n,
      bootId: BOOT,
      priority: 1,
      flags: 0,
      hash: createHash('sha256').update(`${gateway}/${n}`).digest('hex'),
    });
  };
  for (let i = 0; i <= minutes; i += stepMin) {
    const t = from + i * MINUTE;
    if (i > 0) total += (flowLps(t - stepMin * MINUTE) * 60 * stepMin) / 1000;
    push('flow', flowLps(t), 'L/s', t);
    push('totalizer', (Math.round(total * 10) % 2 ** 32) / 10, 'm3', t);
  }
  return out;
}
