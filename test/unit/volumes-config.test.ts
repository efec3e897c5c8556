import { describe, expect, it } from 'vitest';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import type { ConfigError } from '../../protocols/config-errors.ts';

/** dga.obras[].waterRight (issue 14 §3): defaults and path-level problems. */
const WELL = {
  code: 'OB-0602-7',
  kind: 'subterranea',
  gateway: 'gw-1',
  device: 'pozo-1',
  channels: { flow: 'flow', totalizer: 'totalizer', waterColumn: 'water_column' },
  sensorDepthM: 60,
  startAt: '2025-09-01T00:00:00-04:00',
};

describe('relay config: dga.obras[].waterRight', () => {
  it('is optional, and tolerancePct defaults to 0', () => {
    const { dga } = parseRelayConfig({ dga: { obras: [WELL, { ...WELL, code: 'OB-0602-8', waterRight: { flowLps: 25, annualM3: 500_000 } }] } });
    expect(dga.obras[0]!.waterRight).toBeUndefined();
    expect(dga.obras[1]!.waterRight).toEqual({ flowLps: 25, annualM3: 500_000, tolerancePct: 0 });
  });

  it('reports every problem with its path', () => {
    let problems: string[] = [];
    try {
      parseRelayConfig({ dga: { obras: [{ ...WELL, waterRight: { flowLps: -1, annualM3: 'a lot', tolerancePct: 150, extra: 1 } }] } }, 'relay.yaml');
    } catch (err) {
      problems = (err as ConfigError).problems.map((p) => p.path);
    }
    expect(problems).toEqual(
      expect.arrayContaining([
        'dga.obras[0].waterRight.flowLps',
        'dga.obras[0].waterRight.annualM3',
        'dga.obras[0].waterRight.tolerancePct',
        'dga.obras[0].waterRight.extra',
      ]),
    );
  });
});
