import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkAlarmsConfig, checkRules } from '../../agent/alarms/check.ts';
import { BUILTIN_ALARM_DEFAULTS } from '../../agent/alarms/defaults.ts';
import { rangedChannels, resolveAlarmRules } from '../../agent/alarms/resolve.ts';
import { type AlarmsConfigInput, alarmsConfigSchema } from '../../agent/alarms/schema.ts';
import { BUILTIN_PROFILES } from '../../protocols/profiles/index.ts';

const devices = [
  { id: 'gas-1', profile: 'gas-detector' },
  { id: 'gas-2', profile: 'gas-detector' },
  { id: 'flow-1', profile: 'flowmeter' },
  { id: 'odd-1', profile: 'not-a-profile' },
];
const parse = (input: AlarmsConfigInput) => alarmsConfigSchema.parse(input);
const check = (input: AlarmsConfigInput) => checkAlarmsConfig(parse(input), devices, BUILTIN_PROFILES);
const paths = (input: AlarmsConfigInput) => check(input).map((p) => p.path);
const rule = (r: string, kind: 'high' | 'low', level: 'warning' | 'alarm', threshold: number, hysteresis?: number) => ({
  rule: r,
  kind,
  level,
  threshold,
  ...(hysteresis === undefined ? {} : { hysteresis }),
});

describe('alarms config schema', () => {
  it('defaults to the built-in rules and nothing else', () => {
    expect(parse({})).toEqual({ defaults: true, profiles: {}, devices: {} });
    expect(parse({ devices: { 'gas-1': { ch4: [rule('high1', 'high', 'warning', 5)] } } }).devices['gas-1']!['ch4']![0]!.latching).toBe(false);
  });

  it('rejects unknown keys, negative hysteresis and the reserved rule id', () => {
    const issues = (input: unknown) => alarmsConfigSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}:${i.code}`);
    expect(issues({ device: {} })).toEqual([':unrecognized_keys']);
    expect(issues({ devices: { 'gas-1': { ch4: [{ ...rule('high1', 'high', 'warning', 5), latch: true }] } } })).toEqual([
      'devices.gas-1.ch4.0:unrecognized_keys',
    ]);
    expect(issues({ devices: { 'gas-1': { ch4: [rule('high1', 'high', 'warning', 5, -1)] } } })).toEqual(['devices.gas-1.ch4.0.hysteresis:too_small']);
    expect(issues({ devices: { 'gas-1': { ch4: [rule('device', 'high', 'warning', 5)] } } })).toEqual(['devices.gas-1.ch4.0.rule:custom']);
    expect(issues({ devices: { 'gas-1': { ch4: [rule('high1', 'above' as 'high', 'warning', 5)] } } })).toEqual(['devices.gas-1.ch4.0.kind:invalid_value']);
  });

  it('exports as JSON Schema with its descriptions', () => {
    const json = JSON.stringify(z.toJSONSchema(alarmsConfigSchema, { io: 'input', unrepresentable: 'any' }));
    expect(json).toContain('hysteresis');
    expect(json).toContain('2 % of the channel');
  });
});

describe('alarm rule resolution', () => {
  it('uses the built-in gas-detector rules, a profile override, and a device override over both', () => {
    const table = resolveAlarmRules(
      parse({
        profiles: { 'gas-detector': { co: [rule('high1', 'high', 'alarm', 35, 3)] } },
        devices: { 'gas-2': { co: [rule('high1', 'high', 'alarm', 100)], h2s: [] } },
      }),
      devices,
      BUILTIN_PROFILES,
    );
    expect(table.rulesFor('gas-1', 'ch4')).toEqual(BUILTIN_ALARM_DEFAULTS.get('gas-detector')!['ch4']);
    expect(table.rulesFor('gas-1', 'co')).toEqual([{ rule: 'high1', kind: 'high', level: 'alarm', threshold: 35, hysteresis: 3, latching: false }]);
    // Hysteresis omitted: 2 % of CO's 0–1000 ppm range.
    expect(table.rulesFor('gas-2', 'co')).toEqual([{ rule: 'high1', kind: 'high', level: 'alarm', threshold: 100, hysteresis: 20, latching: false }]);
    expect(table.rulesFor('gas-2', 'h2s')).toEqual([]);
    expect(table.rulesFor('gas-2', 'o2').map((r) => r.threshold)).toEqual([19.5, 23.5]);
    expect(table.unitOf('gas-2', 'o2')).toBe('%vol');
  });

  it('has no rules for flowmeters, status bits or unknown devices, nor any default when defaults is false', () => {
    const table = resolveAlarmRules(parse({}), devices, BUILTIN_PROFILES);
    expect(table.rulesFor('flow-1', 'flow')).toEqual([]);
    expect(table.rulesFor('gas-1', 'fault_ch4')).toEqual([]);
    expect(table.rulesFor('gas-9', 'ch4')).toEqual([]);
    expect(table.unitOf('gas-9', 'ch4')).toBeUndefined();
    const off = resolveAlarmRules(parse({ defaults: false, devices: { 'gas-1': { o2: [rule('low1', 'low', 'alarm', 18)] } } }), devices, BUILTIN_PROFILES);
    expect(off.rulesFor('gas-1', 'ch4')).toEqual([]);
    expect(off.rulesFor('gas-1', 'o2').map((r) => r.rule)).toEqual(['low1']);
  });
});

describe('checkAlarmsConfig', () => {
  it('accepts a consistent config and the built-in defaults', () => {
    expect(check({ devices: { 'gas-1': { ch4: [rule('high1', 'high', 'warning', 5), rule('high2', 'high', 'alarm', 10)] } } })).toEqual([]);
    for (const [profileId, channels] of BUILTIN_ALARM_DEFAULTS) {
      const ranged = rangedChannels(BUILTIN_PROFILES.get(profileId)!);
      for (const [key, rules] of Object.entries(channels)) {
        const problems: string[] = [];
        checkRules(rules, ranged.get(key)!, key, (p) => problems.push(p));
        expect(problems, `${profileId}.${key}`).toEqual([]);
      }
    }
  });

  it('reports unknown profiles, devices and channels with their paths', () => {
    expect(
      paths({
        profiles: { nope: {}, 'gas-detector': { ch5: [], fault_ch4: [] } },
        devices: { 'gas-9': {}, 'flow-1': { ch4: [] }, 'odd-1': { anything: [] } },
      }),
    ).toEqual([
      'alarms.profiles.nope',
      'alarms.profiles.gas-detector.ch5',
      'alarms.profiles.gas-detector.fault_ch4',
      'alarms.devices.gas-9',
      'alarms.devices.flow-1.ch4',
    ]);
  });

  it('reports duplicate rule ids and stages in the wrong order', () => {
    expect(
      paths({
        devices: {
          'gas-1': {
            ch4: [rule('high1', 'high', 'warning', 25), rule('high2', 'high', 'alarm', 20), rule('high2', 'high', 'alarm', 30)],
            o2: [rule('low1', 'low', 'warning', 18), rule('low2', 'low', 'alarm', 19.5)],
          },
        },
      }),
    ).toEqual(['alarms.devices.gas-1.ch4[2].rule', 'alarms.devices.gas-1.ch4[0].threshold', 'alarms.devices.gas-1.o2[0].threshold']);
  });

  it('reports thresholds outside the range, alarms that could never clear, and high below low', () => {
    expect(
      paths({
        profiles: {
          'gas-detector': {
            ch4: [rule('high1', 'high', 'alarm', 150), rule('high2', 'high', 'alarm', 3, 5)],
            o2: [
              rule('low1', 'low', 'alarm', -1),
              rule('low2', 'low', 'alarm', 29, 1),
              rule('high1', 'high', 'alarm', 19, 0.5),
              rule('low3', 'low', 'alarm', 19.5, 0.5),
            ],
            // Default hysteresis, 2 % of 0–200 ppm = 4 ppm: a 4 ppm high alarm could never clear.
            h2s: [rule('high1', 'high', 'alarm', 4)],
          },
        },
      }),
    ).toEqual([
      'alarms.profiles.gas-detector.ch4[0].threshold',
      'alarms.profiles.gas-detector.ch4[1].hysteresis',
      'alarms.profiles.gas-detector.o2[0].threshold',
      'alarms.profiles.gas-detector.o2[1].hysteresis',
      'alarms.profiles.gas-detector.o2[2].threshold',
      'alarms.profiles.gas-detector.h2s[0].hysteresis',
    ]);
  });
});
