/** The agent's `fleet:` section and the relay's: defaults, ranges with paths, the cross-check with sync. */
import { describe, expect, it } from 'vitest';
import type { ConfigError } from '../../agent/config/errors.ts';
import { parseConfig } from '../../agent/config/load.ts';
import { parseRelayConfig } from '../../cloud/config/load.ts';

function problems(parse: () => unknown): string[] {
  try {
    parse();
    return [];
  } catch (err) {
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
}

const gateway = { id: 'gw-1' };
const sync = { url: 'https://relay.example.com' };

describe('agent fleet config', () => {
  it('defaults to a poll a minute and a full report every five', () => {
    expect(parseConfig({ gateway, sync }).fleet).toEqual({
      intervalMs: 60_000,
      healthIntervalMs: 300_000,
      timeoutMs: 30_000,
      configProbationMs: 300_000,
      commandMaxAgeMs: 600_000,
    });
  });

  it('reports out-of-range values and unknown keys with their paths', () => {
    expect(problems(() => parseConfig({ gateway, sync, fleet: { intervalMs: 10, interval: 60 } }))).toEqual([
      expect.stringMatching(/^fleet\.intervalMs: /),
      expect.stringMatching(/^fleet\.interval: unknown key/),
    ]);
  });

  it('refuses fleet.enabled without sync: the channel uses its URL and secret', () => {
    expect(problems(() => parseConfig({ gateway, fleet: { enabled: true } }))).toEqual([expect.stringMatching(/^fleet\.enabled: needs sync enabled/)]);
    expect(problems(() => parseConfig({ gateway, sync, fleet: { enabled: true } }))).toEqual([]);
  });
});

describe('relay fleet config', () => {
  it('reports out-of-range values with their paths', () => {
    expect(problems(() => parseRelayConfig({ fleet: { offlineAfterMs: 5, historyMs: 1 } }))).toEqual([
      expect.stringMatching(/^fleet\.offlineAfterMs: /),
      expect.stringMatching(/^fleet\.historyMs: /),
    ]);
  });
});
