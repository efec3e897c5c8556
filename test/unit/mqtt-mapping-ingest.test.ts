import { describe, expect, it } from 'vitest';
import { MappedIngest } from '../../agent/broker/mapping-ingest.ts';
import { brokerConfigSchema } from '../../agent/broker/schema.ts';
import type { NewRecord } from '../../protocols/records.ts';
import { PRIORITY } from '../../protocols/records.ts';

const NOW = 1_765_000_000_000;
const clock = { now: () => NOW, monotonic: () => 42 };

function ingest(): { m: MappedIngest; stored: NewRecord[][] } {
  const stored: NewRecord[][] = [];
  const { mappings } = brokerConfigSchema.parse({
    mappings: [
      { name: 'levels', format: 'number', topic: 'site/{device}/sensors/{channel}', unit: 'm', channels: { flow: { unit: 'L/s' } } },
      { name: 'site-json', format: 'json', topic: 'site/{device}/+', fields: [{ path: 'v', channel: 'v' }], time: { path: 't', format: 'epoch_ms' } },
      { name: 'plant', format: 'sparkplug-b', group: 'plant1' },
    ],
  });
  const m = new MappedIngest({
    mappings,
    maxPayloadBytes: 256,
    sink: async (records) => {
      stored.push([...records]);
      return records.map((_, i) => i);
    },
    clock,
    bootId: 'boot',
    flags: () => 4,
  });
  return { m, stored };
}

describe('mapped ingest', () => {
  it('claims the first level of every mapping, and only the node data topics under spBv1.0', () => {
    const { m } = ingest();
    expect(m.claims('site/p1/sensors/level')).toBe(true);
    expect(m.claims('site/anything/else/deeper')).toBe(true);
    expect(m.claims('site')).toBe(true);
    expect(m.claims('sites/p1')).toBe(false);
    expect(m.claims('spBv1.0/other/DDATA/n/d')).toBe(true);
    expect(m.claims('spBv1.0/plant1/NCMD/n')).toBe(false);
    expect(m.claims('spBv1.0/STATE/host')).toBe(false);
  });

  it('makes reading records with the mapped device, channel, unit and priority; the first matching mapping wins', async () => {
    const { m, stored } = ingest();
    expect(await m.handle('site/p1/sensors/flow', Buffer.from('12.5'))).toEqual({ status: 'stored', records: 1 });
    expect(stored[0]).toEqual([
      {
        kind: 'reading',
        device: 'p1',
        channel: 'flow',
        value: 12.5,
        unit: 'L/s',
        quality: 'good',
        exception: null,
        ts: NOW,
        mono: 42,
        bootId: 'boot',
        priority: PRIORITY.dga,
        flags: 4,
      },
    ]);
    // site/p1/sensors/x matches both: the number mapping, listed first, takes it.
    expect(await m.handle('site/p1/sensors/x', Buffer.from('{"v": 1}'))).toEqual({ status: 'invalid', reason: 'schema' });
    expect(m.stats().levels?.refused).toEqual({ bad_number: 1 });
    expect(await m.handle('site/p1/status', Buffer.from('{"v": 1}'))).toEqual({ status: 'stored', records: 1 });
  });

  it('refuses a whole message whose names are not ids or whose records fail the record check', async () => {
    const { m, stored } = ingest();
    expect(await m.handle('site/p 1/sensors/level', Buffer.from('1'))).toEqual({ status: 'invalid', reason: 'schema' });
    expect(await m.handle('site/p1/status', Buffer.from('[{"v": 1, "t": 5}, {"v": 2, "t": -5}]'))).toEqual({ status: 'invalid', reason: 'invalid_record' });
    expect(await m.handle('site/p1/status', Buffer.from(`{"v": "${'9'.repeat(300)}"}`))).toEqual({ status: 'invalid', reason: 'oversized' });
    expect(await m.handle('site/p1', Buffer.from('1'))).toEqual({ status: 'invalid', reason: 'unknown_topic' });
    expect(stored).toEqual([]);
    expect(m.stats()).toMatchObject({
      levels: { refused: { bad_name: 1 } },
      'site-json': { refused: { invalid_record: 1, oversized: 1 } },
      '(none)': { refused: { no_mapping: 1 } },
    });
  });
});
