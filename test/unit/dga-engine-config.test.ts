import { describe, expect, it } from 'vitest';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import type { ConfigError } from '../../protocols/config-errors.ts';
import { CONFIG_INVALID, isAtalayaError } from '../../protocols/errors.ts';

/** The `dga:` section of relay.yaml: defaults, and every problem at once with its path. */
const WELL = {
  code: 'OB-0602-7',
  kind: 'subterranea',
  gateway: 'gw-1',
  device: 'pozo-1',
  channels: { flow: 'flow', totalizer: 'totalizer', waterColumn: 'water_column' },
  sensorDepthM: 60,
  startAt: '2025-09-01T00:00:00-04:00',
};

function problems(dga: unknown): string[] {
  try {
    parseRelayConfig({ dga }, 'relay.yaml');
  } catch (err) {
    expect(isAtalayaError(err, CONFIG_INVALID)).toBe(true);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the config to be refused');
}

describe('relay config: dga', () => {
  it('is off by default, with the Res. 2.170 rules as defaults (REST, 5-minute spacing, next-day retry)', () => {
    const { dga } = parseRelayConfig({ dga: { enabled: true, obras: [WELL] } });
    expect(dga).toMatchObject({
      enabled: true,
      interface: 'rest',
      restBaseUrl: 'https://apimee.mop.gob.cl/api/v1',
      spacingMs: 300_000,
      retryAfterMs: 86_400_000,
      toleranceMs: 300_000,
      schedule: '* * * * *',
      verifyReceipts: false,
      unknownOutcomeDelayMs: 86_400_000,
      maxAttemptsPerSlot: 3,
    });
    expect(dga.obras[0]).toMatchObject({ flowDeadbandLps: 0.01 });
    expect(dga.obras[0]).toMatchObject({ standard: 'mayor', code: 'OB-0602-7' });
    expect(dga.obras[0]?.interface).toBeUndefined();
    expect(parseRelayConfig({}).dga).toMatchObject({ enabled: false, obras: [] });
  });

  it('lists every problem with its path: channels per kind, SOAP limits, duplicates, codes, schedule, unknown keys', () => {
    const out = problems({
      schedule: 'every minute',
      obras: [
        { ...WELL, sensorDepthM: undefined },
        { ...WELL, kind: 'superficial', channels: { flow: 'f', totalizer: 't', staffGauge: 's' } },
        { ...WELL, code: 'OB-0602-8', kind: 'superficial-flujometro', interface: 'soap', channels: { flow: 'f', totalizer: 't' } },
        { ...WELL, code: 'OB-0602-9', channels: { flow: 'f', totalizer: 't', level: 'l', waterColumn: 'w' } },
        { ...WELL, code: 'XB-0602-7' },
        { ...WELL, code: 'OB-0602-10', chanels: {} },
      ],
    });
    expect(out).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^dga\.schedule: a node-cron expression/),
        'dga.obras[0].sensorDepthM: required with channels.waterColumn',
        'dga.obras[1].channels.totalizer: a superficial obra reports no totalizer',
        expect.stringMatching(/^dga\.obras\[2\]\.interface: the legacy SOAP service has no surface-with-flowmeter/),
        'dga.obras[3].channels.waterColumn: give level or waterColumn, not both',
        expect.stringMatching(/^dga\.obras\[4\]\.code: an obra code/),
        "dga.obras[5].chanels: unknown key (did you mean 'channels'?)",
        'dga.obras[1].code: obra OB-0602-7 is listed twice',
      ]),
    );
    expect(out).toHaveLength(8);
  });

  it('refuses an obra listed twice, and SOAP for kinds it cannot carry when it is the default interface', () => {
    expect(problems({ obras: [WELL, WELL] })).toEqual(['dga.obras[1].code: obra OB-0602-7 is listed twice']);
    const flujometro = { ...WELL, kind: 'superficial-flujometro', channels: { flow: 'f', totalizer: 't' } };
    expect(problems({ interface: 'soap', obras: [flujometro] })).toEqual([expect.stringMatching(/^dga\.obras\[0\]\.interface: dga\.interface is soap/)]);
    expect(parseRelayConfig({ dga: { interface: 'soap', obras: [{ ...flujometro, interface: 'rest' }] } }).dga.obras).toHaveLength(1);
  });

  it('refuses an empty level or staff gauge except on the grounds the manual names (muy-pequenos, mining water, automated gates)', () => {
    const { sensorDepthM: _depth, ...bare } = WELL;
    const noLevel = { ...bare, channels: { flow: 'f', totalizer: 't' } };
    const gate = { ...bare, code: 'OB-0602-8', kind: 'superficial', channels: { flow: 'f' } };
    expect(problems({ obras: [noLevel, gate, { ...noLevel, code: 'OB-0602-9', standard: 'medio' }] })).toEqual([
      expect.stringMatching(/^dga\.obras\[0\]\.channels\.level: required for a mayor well/),
      expect.stringMatching(/^dga\.obras\[1\]\.channels\.staffGauge: required for a mayor superficial obra/),
      expect.stringMatching(/^dga\.obras\[2\]\.channels\.level: required for a medio well/),
    ]);
    const ok = parseRelayConfig({
      dga: {
        obras: [
          { ...noLevel, standard: 'muy-pequenos' },
          { ...noLevel, code: 'OB-0602-9', emptyAllowedAs: 'aguas-del-minero' },
          { ...gate, emptyAllowedAs: 'compuerta-automatizada' },
          { ...gate, code: 'OB-0602-10', standard: 'muy-pequenos' },
        ],
      },
    });
    expect(ok.dga.obras).toHaveLength(4);
    // SOAP has no empty value at all: one problem per obra, whichever rule refuses it.
    expect(problems({ interface: 'soap', obras: [noLevel, { ...noLevel, code: 'OB-0602-9', standard: 'muy-pequenos' }] })).toEqual([
      expect.stringMatching(/^dga\.obras\[0\]\.channels\.level: required for a mayor well/),
      'dga.obras[1].channels.level: SOAP requires a level (xsd:decimal cannot be empty)',
    ]);
    expect(problems({ obras: [{ ...noLevel, emptyAllowedAs: 'compuerta-automatizada' }] })).toEqual([
      expect.stringMatching(/^dga\.obras\[0\]\.channels\.level: required/),
      'dga.obras[0].emptyAllowedAs: compuerta-automatizada applies to superficial obras only',
    ]);
  });
});
