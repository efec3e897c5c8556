/** The `sources:` section of relay.yaml (cloud/providers/config.ts): defaults, and every problem with its path. */
import { describe, expect, it } from 'vitest';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { defaultSecretEnv } from '../../cloud/providers/config.ts';
import type { ConfigError } from '../../protocols/config-errors.ts';
import { CONFIG_INVALID, isAtalayaError } from '../../protocols/errors.ts';

function problems(sources: unknown): string[] {
  try {
    parseRelayConfig({ sources });
  } catch (err) {
    expect(isAtalayaError(err, CONFIG_INVALID)).toBe(true);
    return (err as ConfigError).problems.map((p) => p.path);
  }
  throw new Error('expected the config to be refused');
}

describe('relay config: sources', () => {
  it('fills the defaults of each kind', () => {
    const config = parseRelayConfig({
      sources: [
        { id: 'ttn', kind: 'tts', devices: [{ match: 'dev-1', device: 'pozo', fields: { flow: { channel: 'flow', unit: 'L/s' } } }] },
        { id: 'tago', kind: 'tago', device: 'pozo-t', variables: { caudal: { channel: 'flow', unit: 'L/s', scale: 3.6 } } },
      ],
    });
    expect(config.sources[0]).toMatchObject({ header: 'X-Atalaya-Webhook-Secret', maxGatewaySkewMs: 60_000, dedupWindowMs: 86_400_000 });
    expect(config.sources[0]).toMatchObject({ devices: [{ fields: { flow: { scale: 1, offset: 0 } } }] });
    expect(config.sources[1]).toMatchObject({ url: 'https://api.tago.io', intervalMs: 60_000, pageSize: 500, backoffMaxMs: 600_000 });
    expect(defaultSecretEnv('tago-norte.1')).toBe('ATALAYA_SOURCE_TAGO_NORTE_1_SECRET');
  });

  it('reports each problem with its path: a bad id, an unknown kind, a bad path, an unknown zone, an unknown key', () => {
    expect(
      problems([
        { id: '-x', kind: 'tts', devices: [] },
        { id: 'a', kind: 'nope' },
        { id: 'h', kind: 'http', url: 'http://x', device: 'd', time: 'ts', timeZone: 'Mars/Olympus', fields: { caudal: { channel: 'flow', unit: 'L/s' } } },
        { id: 'h', kind: 'http', url: 'http://x', device: 'd', time: '$.ts', items: '$..x', fields: {}, pageSise: 3 },
      ]),
    ).toEqual(
      expect.arrayContaining([
        'sources[0].id',
        'sources[0].devices',
        'sources[1].kind',
        'sources[2].timeZone',
        'sources[2].time',
        'sources[2].fields.caudal',
        'sources[3].items',
        'sources[3].pageSise',
      ]),
    );
  });
});
