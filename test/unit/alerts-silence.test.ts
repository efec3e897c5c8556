/**
 * Issue 13: "a gateway silent for more than its configured period". `silentAfter` gives some
 * gateways a period of their own (a LoRaWAN source reporting every 15 min, a gateway on a daily
 * link); the rest keep `silentAfterMinutes`. 0 means never silent.
 */
import { describe, expect, it } from 'vitest';
import { alertsConfigSchema } from '../../cloud/alerts/config.ts';
import type { Transition } from '../../cloud/alerts/detect.ts';
import { silentPeriods, silentTransitions } from '../../cloud/alerts/detect.ts';
import type { GatewayRow } from '../../cloud/store/types.ts';

const MIN = 60_000;
/** [type, gateway] of the silence transitions. */
const seen = (ts: Transition[]): Array<[string, string]> =>
  ts.map((t) => [t.type, !('gateway' in t) ? '' : typeof t.gateway === 'string' ? t.gateway : t.gateway.id]);
const gateway = (id: string, lastSeenAt: number): GatewayRow => ({
  id,
  secretCiphertext: 'x',
  createdAt: 0,
  lastSeenAt,
  highestSeq: 1,
  clockOffsetMs: 0,
  records: 1,
  orgId: 'default',
});

describe('silence periods per gateway', () => {
  const config = alertsConfigSchema.parse({
    silentAfterMinutes: 15,
    silentAfter: [
      { gateways: ['src-*'], minutes: 60 },
      { gateways: ['bodega'], minutes: 0 },
      { gateways: ['src-lora', 'pozo-*'], minutes: 5 },
    ],
  });
  const period = silentPeriods(config.silentAfterMinutes, config.silentAfter);

  it('takes the first entry whose pattern matches, else silentAfterMinutes', () => {
    expect(period('src-lora')).toBe(60 * MIN);
    expect(period('pozo-norte-1')).toBe(5 * MIN);
    expect(period('bodega')).toBe(0);
    expect(period('planta')).toBe(15 * MIN);
  });

  it('opens silence after each gateway its own period, never for 0, and closes when it speaks', () => {
    const now = 100 * MIN;
    const gateways = [gateway('src-lora', now - 30 * MIN), gateway('pozo-norte-1', now - 6 * MIN), gateway('bodega', 0), gateway('planta', now - 14 * MIN)];
    expect(seen(silentTransitions(gateways, new Map(), now, period))).toEqual([['silent', 'pozo-norte-1']]);
    // bodega had an alert open before its period became 0: it still closes when it speaks.
    const open = new Map([['bodega', -1]]);
    expect(seen(silentTransitions(gateways, open, now, period))).toEqual([
      ['silent', 'pozo-norte-1'],
      ['back', 'bodega'],
    ]);
  });

  it('refuses an entry without gateways or with a period out of range, by path', () => {
    const bad = alertsConfigSchema.safeParse({
      silentAfter: [
        { gateways: [], minutes: 5 },
        { gateways: ['x'], minutes: -1 },
      ],
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['silentAfter.0.gateways', 'silentAfter.1.minutes']);
  });
});
