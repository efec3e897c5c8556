import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_INVALID, CONFIG_UNREADABLE, ConfigError } from '../../agent/config/errors.ts';
import { configJsonSchema, loadConfigFile, parseConfig } from '../../agent/config/load.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'atalaya-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(raw: unknown): Array<{ path: string; message: string }> {
  try {
    parseConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe(CONFIG_INVALID);
    return [...(err as ConfigError).problems];
  }
  throw new Error('config was accepted');
}

const minimal = {
  gateway: { id: 'gw-1' },
  devices: [{ id: 'gas-1', profile: 'gas-detector', tcp: { host: '127.0.0.1' } }],
};

describe('agent config', () => {
  it('fills defaults with their documented values', () => {
    const c = parseConfig(minimal);
    expect(c.buffer.durability).toBe('normal');
    expect(c.buffer.commitIntervalMs).toBe(0);
    expect(c.devices[0]!.tcp!.port).toBe(502);
    expect(c.devices[0]!.intervalMs).toBe(1000);
    expect(c.devices[0]!.unitId).toBe(1);
    expect(c.backoff.failuresBeforeBackoff).toBe(3);
  });

  it('accepts the shipped example', () => {
    const c = loadConfigFile(path.resolve('deploy/examples/agent.yaml'));
    expect(c.devices.map((d) => d.profile)).toEqual(['gas-detector', 'flowmeter', 'flowmeter-t64']);
  });

  it('reports every problem at once, each with its path', () => {
    const found = problems({
      gateway: { id: 'gw 1' },
      serial: [{ id: 'rs485-1', path: '/dev/ttyUSB0', parity: 'mark', baudrate: 9600 }],
      devices: [
        { id: 'gas-1', profile: 'gas-detector', serial: 'rs485-9', unitId: 1 },
        { id: 'flow-1', profile: 'flowmeter', tcp: { host: 'x', port: 70000 } },
      ],
    });
    const paths = found.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['gateway.id', 'serial[0].parity', 'serial[0].baudrate', 'devices[1].tcp.port']));
    expect(found.find((p) => p.path === 'serial[0].parity')!.message).toContain('none, even, odd');
    expect(found.find((p) => p.path === 'serial[0].baudrate')!.message).toContain("'baudRate'");
  });

  it('checks references across the file: lines, profiles, unit ids, params', () => {
    const found = problems({
      gateway: { id: 'gw-1' },
      serial: [{ id: 'rs485-1', path: '/dev/ttyUSB0' }],
      devices: [
        { id: 'gas-1', profile: 'gas-detector', serial: 'rs485-9' },
        { id: 'flow-1', profile: 'flowmeter', serial: 'rs485-1', unitId: 0 },
        { id: 'gas-1', profile: 'no-such-profile', tcp: { host: 'h' } },
        { id: 'both', profile: 'gas-detector', serial: 'rs485-1', tcp: { host: 'h' }, unitId: 2 },
        { id: 'dup-unit', profile: 'gas-detector', serial: 'rs485-1', unitId: 2 },
      ],
    });
    const paths = found.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'devices[0].serial',
        'devices[1].unitId',
        'devices[1].params.sensorDepthM',
        'devices[2].id',
        'devices[2].profile',
        'devices[3]',
        'devices[4].unitId',
      ]),
    );
  });

  it('validates profiles defined in the config', () => {
    const bad = problems({
      ...minimal,
      profiles: {
        'my-meter': {
          channels: [{ key: 'flow', address: 0, type: 'float32', order: 'CDBA', unit: 'L/s', min: 0, max: 10 }],
          status: [{ key: 'fault', address: 5, meaning: 'fault', channels: ['nope'] }],
        },
      },
    });
    expect(bad.map((p) => p.path)).toContain('profiles.my-meter.channels[0].order');

    const refs = problems({
      ...minimal,
      profiles: {
        'my-meter': {
          channels: [{ key: 'flow', address: 0, type: 'float32', order: 'CDAB', unit: 'L/s', min: 10, max: 0 }],
          status: [{ key: 'fault', address: 5, bit: 1, meaning: 'fault', channels: ['nope'] }],
        },
        'gas-detector': { channels: [{ key: 'x', address: 0, unit: 'm', min: 0, max: 1 }] },
      },
    });
    expect(refs.map((p) => p.path)).toEqual(
      expect.arrayContaining(['profiles.my-meter.channels[0]', 'profiles.my-meter.status[0].channels[0]', 'profiles.gas-detector']),
    );

    const ok = parseConfig({
      gateway: { id: 'gw-1' },
      profiles: { 'my-meter': { channels: [{ key: 'flow', address: 0, type: 'float32', order: 'CDAB', unit: 'L/s', min: 0, max: 10 }] } },
      devices: [{ id: 'm', profile: 'my-meter', tcp: { host: 'h' } }],
    });
    expect(ok.profiles['my-meter']!.channels[0]!.table).toBe('holding');
  });

  it('refuses a YAML syntax error and an unreadable file with their codes', () => {
    const broken = path.join(dir, 'broken.yaml');
    writeFileSync(broken, 'gateway:\n  id: [unclosed\n');
    expect(() => loadConfigFile(broken)).toThrow(expect.objectContaining({ code: CONFIG_INVALID }));
    expect(() => loadConfigFile(path.join(dir, 'missing.yaml'))).toThrow(expect.objectContaining({ code: CONFIG_UNREADABLE }));
  });

  it('resolves the buffer path against the config file directory', () => {
    const file = path.join(dir, 'agent.yaml');
    writeFileSync(file, 'gateway: {id: gw-1}\nbuffer: {path: data/b.db}\ndevices:\n  - {id: g, profile: gas-detector, tcp: {host: h}}\n');
    expect(loadConfigFile(file).buffer.path).toBe(path.join(dir, 'data/b.db'));
  });

  it('exports a JSON Schema that matches the committed one editors use', () => {
    const schema = configJsonSchema();
    expect(schema).toHaveProperty('properties.devices');
    const committed = JSON.parse(readFileSync('deploy/agent.schema.json', 'utf8')) as unknown;
    expect(committed).toEqual(schema);
  });
});
