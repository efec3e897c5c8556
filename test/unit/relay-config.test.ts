import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRelayConfigFile, parseRelayConfig, relayConfigJsonSchema } from '../../cloud/config/load.ts';
import type { ConfigError } from '../../protocols/config-errors.ts';
import { CONFIG_INVALID, CONFIG_UNREADABLE, isAtalayaError } from '../../protocols/errors.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function problems(raw: unknown, env = {}): string[] {
  try {
    parseRelayConfig(raw, 'relay.yaml', env);
  } catch (err) {
    expect(isAtalayaError(err, CONFIG_INVALID)).toBe(true);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the config to be refused');
}

describe('relay config', () => {
  it('defaults to plain HTTP on 8080, SQLite in ./data, 8 MiB bodies, 10 000 records, ±5 min', () => {
    expect(parseRelayConfig({})).toEqual({
      listen: { host: '0.0.0.0', port: 8080, trustProxy: false, requestTimeoutMs: 120_000, maxConnections: 1024, maxConnectionsPerAddress: 64 },
      storage: { kind: 'sqlite', path: './data/relay.db', synchronous: 'full' },
      apiTokens: [],
      ingest: {
        maxBodyBytes: 8 * 1_048_576,
        maxInflatedBytes: 16 * 1_048_576,
        maxDecodeBytesInFlight: 64 * 1_048_576,
        maxRecords: 10_000,
        maxSeqJump: 1_000_000_000,
        skewMs: 300_000,
        refusalLogIntervalMs: 10_000,
      },
      dga: expect.objectContaining({ enabled: false, interface: 'rest', spacingMs: 300_000, retryAfterMs: 86_400_000, obras: [] }),
      anchor: expect.objectContaining({ enabled: false, schedule: '59 23 * * *', timezone: 'America/Santiago', confirmations: 12, feeBumpPercent: 15 }),
      alerts: expect.objectContaining({
        enabled: false,
        groups: {},
        rules: [],
        channels: {},
        silentAfterMinutes: 15,
        digest: { windowMinutes: 5, maxPerWindow: 5 },
      }),
      fleet: { offlineAfterMs: 180_000, historyMs: 86_400_000, maxPollBytes: 262_144, commandMaxAgeMs: 600_000 },
      sources: [],
      identity: { sessionTtlS: 43_200, idleTimeoutS: 1800, maxFailures: 5, lockoutS: 900, ipAttempts: 30, ipWindowS: 900 },
      releases: { enabled: false, publicKeys: [], dir: './data/releases', urlTtlS: 21_600 },
      log: { level: 'info' },
    });
  });

  it('reports every problem at once, each with its path, unknown keys with a hint', () => {
    const out = problems({
      listen: { prot: 8443, tls: { cert: 'a.crt' } },
      storage: { kind: 'postgres', url: 'mysql://x' },
      ingest: { maxRecords: 0, skewMS: 1 },
      apiTokens: ['not-a-hash'],
      log: { level: 'verbose' },
    });
    expect(out).toEqual(
      expect.arrayContaining([
        "listen.prot: unknown key (did you mean 'port'?)",
        expect.stringMatching(/^listen\.tls\.key: /),
        expect.stringMatching(/^storage\.url: /),
        expect.stringMatching(/^ingest\.maxRecords: /),
        "ingest.skewMS: unknown key (did you mean 'skewMs'?)",
        expect.stringMatching(/^apiTokens\[0\]: /),
        expect.stringMatching(/^log\.level: expected one of trace, debug/),
      ]),
    );
    expect(out).toHaveLength(7);
  });

  it('checks the anchor section: required fields when enabled, cron, timezone, address, fee bump ≥ 10 %', () => {
    const out = problems({ anchor: { enabled: true, schedule: 'every day', timezone: 'Mars/Olympus', feeBumpPercent: 5, contract: '0x12' } });
    expect(out).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^anchor\.rpcUrl: required when anchor\.enabled/),
        expect.stringMatching(/^anchor\.chainId: required when anchor\.enabled/),
        expect.stringMatching(/^anchor\.schedule: /),
        expect.stringMatching(/^anchor\.timezone: /),
        expect.stringMatching(/^anchor\.feeBumpPercent: /),
        expect.stringMatching(/^anchor\.contract: /),
      ]),
    );
    expect(problems({ anchor: { enabled: true, rpcUrl: 'ftp://x', chainId: 1, contract: `0x${'ab'.repeat(20)}` } })).toEqual([
      expect.stringMatching(/^anchor\.rpcUrl: /),
    ]);
    expect(
      parseRelayConfig({
        anchor: { enabled: true, rpcUrl: 'http://127.0.0.1:8545', chainId: 31337, contract: `0x${'ab'.repeat(20)}`, schedule: '*/5 * * * *' },
      }).anchor.schedule,
    ).toBe('*/5 * * * *');
  });

  it('refuses a decode budget smaller than one batch', () => {
    expect(problems({ ingest: { maxInflatedBytes: 4 * 1_048_576, maxDecodeBytesInFlight: 1_048_576 } })).toEqual([
      expect.stringMatching(/^ingest\.maxDecodeBytesInFlight: /),
    ]);
    expect(parseRelayConfig({ ingest: { maxInflatedBytes: 1_048_576, maxDecodeBytesInFlight: 1_048_576 } }).ingest.maxDecodeBytesInFlight).toBe(1_048_576);
  });

  it('hints at the keys of the chosen storage kind', () => {
    expect(problems({ storage: { kind: 'sqlite', pth: 'x.db' } })).toEqual(["storage.pth: unknown key (did you mean 'path'?)"]);
    expect(problems({ storage: { kind: 'mongo' } })).toEqual([expect.stringMatching(/^storage\.kind: /)]);
  });

  it('adds token hashes from ATALAYA_RELAY_API_TOKENS, checking each', () => {
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    expect(parseRelayConfig({ apiTokens: [a] }, 'x', { ATALAYA_RELAY_API_TOKENS: ` ${b}, ${a}` }).apiTokens).toEqual([a, b]);
    expect(problems({}, { ATALAYA_RELAY_API_TOKENS: `${a},secret-token` })).toEqual([expect.stringMatching(/^ATALAYA_RELAY_API_TOKENS\[1\]: /)]);
  });

  it('resolves relative paths against the config file and reads the shipped example', () => {
    const file = path.join(dir, 'relay.yaml');
    fs.writeFileSync(file, 'storage: {kind: sqlite, path: db/relay.db}\nkeyFile: relay.key\nlisten: {tls: {cert: c.pem, key: k.pem}}\n');
    const config = loadRelayConfigFile(file);
    expect(config.storage).toMatchObject({ path: path.join(dir, 'db/relay.db') });
    expect(config.keyFile).toBe(path.join(dir, 'relay.key'));
    expect(config.listen.tls).toEqual({ cert: path.join(dir, 'c.pem'), key: path.join(dir, 'k.pem') });
    expect(loadRelayConfigFile(path.resolve('deploy/examples/relay.yaml')).storage.kind).toBe('sqlite');
  });

  it('refuses an unreadable file and broken YAML with coded errors', () => {
    expect(() => loadRelayConfigFile(path.join(dir, 'absent.yaml'))).toThrow(expect.objectContaining({ code: CONFIG_UNREADABLE }));
    const file = path.join(dir, 'broken.yaml');
    fs.writeFileSync(file, 'listen: {port: 1\nlog: [\n');
    expect(() => loadRelayConfigFile(file)).toThrow(expect.objectContaining({ code: CONFIG_INVALID }));
  });

  it('exports a JSON Schema with the descriptions', () => {
    const schema = relayConfigJsonSchema() as { properties: Record<string, { description?: string }> };
    expect(Object.keys(schema.properties)).toEqual([
      'listen',
      'storage',
      'keyFile',
      'apiTokens',
      'ingest',
      'dga',
      'anchor',
      'alerts',
      'fleet',
      'sources',
      'identity',
      'releases',
      'log',
    ]);
    expect(schema.properties['keyFile']?.description).toMatch(/relay key/);
  });
});
