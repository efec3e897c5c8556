import { describe, expect, it } from 'vitest';
import { compileJson, decodeJson, decodeNumber } from '../../agent/broker/mapping-decode.ts';
import { jsonMappingSchema, mappingsSchema, numberMappingSchema } from '../../agent/broker/mapping-schema.ts';
import { brokerConfigSchema } from '../../agent/broker/schema.ts';

const NOW = 1_765_000_000_000;
const buf = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

const gaslyt = compileJson(
  jsonMappingSchema.parse({
    name: 'gaslyt',
    format: 'json',
    topic: 'gaslyt/{device}/data',
    fields: [
      { path: '$.CH4', channel: 'ch4', unit: '%LEL' },
      { path: 'H2S', channel: 'h2s', unit: 'ppm', max: 100 },
      { path: 'bat.mV', channel: 'battery', unit: 'V', scale: 0.001 },
    ],
    time: { path: 'ts', format: 'iso', timeZone: 'America/Santiago' },
  }),
);

describe('JSON mapping decoder', () => {
  it('takes one value per field with its unit and scaling, at the device time', () => {
    const d = decodeJson(gaslyt, buf({ ts: '2026-11-23 09:00:00', CH4: 12.5, H2S: '1.2', bat: { mV: 3900 } }), NOW);
    const ts = Date.parse('2026-11-23T12:00:00Z');
    expect(d).toEqual({
      ok: true,
      missing: 0,
      values: [
        { channel: 'ch4', value: 12.5, unit: '%LEL', quality: 'good', ts },
        { channel: 'h2s', value: 1.2, unit: 'ppm', quality: 'good', ts },
        { channel: 'battery', value: 3.9, unit: 'V', quality: 'good', ts },
      ],
    });
  });

  it('gives no record for a missing value, or a sensor_fault one with missing: fault; receive time without a time field', () => {
    expect(decodeJson(gaslyt, buf({ CH4: 3, H2S: null, H2: 1 }), NOW)).toEqual({
      ok: true,
      missing: 2,
      values: [{ channel: 'ch4', value: 3, unit: '%LEL', quality: 'good', ts: NOW }],
    });
    const faulty = compileJson({ ...gaslyt.config, missing: 'fault' });
    expect(decodeJson(faulty, buf({ CH4: 3, H2S: 'n/a' }), NOW)).toMatchObject({
      ok: true,
      missing: 2,
      values: [{ channel: 'ch4' }, { channel: 'h2s', value: null, quality: 'sensor_fault' }, { channel: 'battery', value: null, quality: 'sensor_fault' }],
    });
  });

  it('marks values outside min..max out_of_range and decodes arrays of objects', () => {
    const d = decodeJson(gaslyt, buf([{ CH4: 1 }, { H2S: 500 }]), NOW);
    expect(d).toMatchObject({
      ok: true,
      values: [
        { channel: 'ch4', quality: 'good' },
        { channel: 'h2s', value: 500, quality: 'out_of_range' },
      ],
    });
  });

  it('refuses with a reason: not JSON, no mapped field at all, a time it cannot read', () => {
    expect(decodeJson(gaslyt, buf('{"CH4": '), NOW)).toEqual({ ok: false, reason: 'bad_json' });
    expect(decodeJson(gaslyt, Buffer.from([0x10, 0x02, 0x18, 0x05]), NOW)).toEqual({ ok: false, reason: 'bad_json' });
    expect(decodeJson(gaslyt, buf({ temperature: 20 }), NOW)).toEqual({ ok: false, reason: 'no_values' });
    expect(decodeJson(gaslyt, buf([]), NOW)).toEqual({ ok: false, reason: 'no_values' });
    expect(decodeJson(gaslyt, buf({ CH4: 1, ts: 'yesterday' }), NOW)).toEqual({ ok: false, reason: 'bad_time' });
  });
});

describe('number mapping decoder', () => {
  const config = numberMappingSchema.parse({
    name: 'levels',
    format: 'number',
    topic: 'site/{device}/sensors/{channel}',
    unit: 'm',
    channels: { flow: { unit: 'L/s', scale: 0.1 } },
  });
  it('takes device and channel from the topic, unit and scale per channel', () => {
    expect(decodeNumber(config, { device: 'p1', channel: 'level' }, buf(' 41.5\n'), NOW)).toEqual({
      ok: true,
      missing: 0,
      values: [{ channel: 'level', value: 41.5, unit: 'm', quality: 'good', ts: NOW }],
    });
    expect(decodeNumber(config, { device: 'p1', channel: 'flow' }, buf('125'), NOW)).toMatchObject({ values: [{ value: 12.5, unit: 'L/s' }] });
    expect(decodeNumber(config, { device: 'p1', channel: 'level' }, buf('12,5'), NOW)).toEqual({ ok: false, reason: 'bad_number' });
    expect(decodeNumber(config, { device: 'p1', channel: 'level' }, buf('{"v":1}'), NOW)).toEqual({ ok: false, reason: 'bad_number' });
  });
});

describe('mappings config', () => {
  const problems = (mappings: unknown[]): string[] => {
    const r = brokerConfigSchema.safeParse({ mappings });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('fills defaults', () => {
    expect(mappingsSchema.parse([{ name: 'sp', format: 'sparkplug-b' }])).toEqual([
      {
        name: 'sp',
        format: 'sparkplug-b',
        missing: 'skip',
        group: '+',
        node: '+',
        device: '{device}',
        nodeDevice: '{node}',
        metrics: [],
        otherMetrics: 'channel',
      },
    ]);
  });

  it('reports every problem of every mapping with its path', () => {
    const found = problems([
      { name: 'a', format: 'json', topic: '{device}/data', fields: [{ path: 'x', channel: 'x' }] },
      { name: 'b', format: 'json', topic: 'g/{serial}/data', fields: [{ path: '$..x', channel: 'bad channel' }], time: { path: 'ts', timeZone: 'Mars/Base' } },
      { name: 'c', format: 'json', topic: 'g/{serial}/data', fields: [{ path: 'x', channel: 'x' }] },
      { name: 's', format: 'sparkplug-b', device: '{serial}' },
      { name: 'x', format: 'xml', topic: 'x/y' },
      { name: 'u', format: 'number', topic: 'u/{device}/{channel}', unknownKey: 1 },
    ]).map((p) => p.split(':')[0]);
    expect(found.sort()).toEqual(
      [
        'mappings.0.topic',
        'mappings.1.fields.0.path',
        'mappings.1.fields.0.channel',
        'mappings.1.time.timeZone',
        'mappings.1.device',
        'mappings.2.device',
        'mappings.3.device',
        'mappings.4.format',
        'mappings.5',
      ].sort(),
    );
  });

  it('refuses duplicate names and topics in the gateway tree once each mapping is valid', () => {
    const found = problems([
      { name: 'a', format: 'number', topic: 'atalaya/{device}/{channel}' },
      { name: 'a', format: 'number', topic: 'site/{device}/{channel}' },
    ]).map((p) => p.split(':')[0]);
    expect(found.sort()).toEqual(['mappings.0.topic', 'mappings.1.name']);
  });
});
