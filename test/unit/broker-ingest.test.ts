import { describe, expect, it } from 'vitest';
import type { IngestOptions } from '../../agent/broker/ingest.ts';
import { Ingest } from '../../agent/broker/ingest.ts';
import { MAX_BATCH } from '../../agent/broker/ingest-payload.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { NewRecord } from '../../protocols/records.ts';
import { PRIORITY, RECORD_FLAGS } from '../../protocols/records.ts';

const clock: Clock = { now: () => 1_763_900_000_000, monotonic: () => 4242 };

function ingest(sink: IngestOptions['sink'] = async () => []): Ingest {
  return new Ingest({ topicPrefix: 'site/atalaya', maxPayloadBytes: 64 * 1024, sink, clock, bootId: 'boot-x', flags: () => RECORD_FLAGS.clockUnsynced });
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('ingest topics', () => {
  it('accepts <prefix>/in/<device>/telemetry|alarm only', () => {
    const i = ingest();
    expect(i.parseTopic('site/atalaya/in/dev-1/telemetry')).toEqual({ device: 'dev-1', kind: 'telemetry' });
    expect(i.parseTopic('site/atalaya/in/dev-1/alarm')).toEqual({ device: 'dev-1', kind: 'alarm' });
    for (const topic of [
      'site/atalaya/in/dev-1',
      'site/atalaya/in/dev-1/telemetry/x',
      'site/atalaya/in//telemetry',
      'site/atalaya/in/dev-1/status',
      'atalaya/in/dev-1/telemetry',
    ]) {
      expect(i.parseTopic(topic), topic).toBeUndefined();
    }
  });
});

describe('ingest payloads', () => {
  it('turns telemetry into good readings with gateway time, mono, bootId, flags and DGA priority', async () => {
    const stored: NewRecord[][] = [];
    const i = ingest(async (r) => {
      stored.push([...r]);
      return r.map((_, k) => k + 1);
    });
    const outcome = await i.handle(
      'site/atalaya/in/pozo-3/telemetry',
      json([
        { channel: 'level', value: 41.5, unit: 'm' },
        { channel: 'ch4', value: 12.3, unit: '%LEL', ts: '2026-11-23T12:00:00-03:00' },
      ]),
    );
    expect(outcome).toEqual({ status: 'stored', records: 2 });
    expect(stored[0]).toEqual([
      {
        kind: 'reading',
        device: 'pozo-3',
        channel: 'level',
        value: 41.5,
        unit: 'm',
        quality: 'good',
        exception: null,
        ts: 1_763_900_000_000,
        mono: 4242,
        bootId: 'boot-x',
        priority: PRIORITY.dga,
        flags: 1,
      },
      {
        kind: 'reading',
        device: 'pozo-3',
        channel: 'ch4',
        value: 12.3,
        unit: '%LEL',
        quality: 'good',
        exception: null,
        ts: Date.parse('2026-11-23T15:00:00Z'),
        mono: 4242,
        bootId: 'boot-x',
        priority: PRIORITY.ordinary,
        flags: 1,
      },
    ]);
  });

  it('turns an alarm into an alarm record raised by the device itself', async () => {
    const stored: NewRecord[] = [];
    const i = ingest(async (r) => {
      stored.push(...r);
      return [1];
    });
    await i.handle('site/atalaya/in/det-1/alarm', json({ channel: 'ch4', level: 'warning', state: 'cleared', ts: 1_700_000_000_000 }));
    expect(stored).toEqual([
      {
        kind: 'alarm',
        device: 'det-1',
        channel: 'ch4',
        value: null,
        unit: '',
        quality: 'good',
        exception: null,
        ts: 1_700_000_000_000,
        mono: 4242,
        bootId: 'boot-x',
        priority: PRIORITY.alarm,
        flags: 1,
        alarm: { rule: 'device', level: 'warning', state: 'cleared', threshold: null },
      },
    ]);
  });

  it('names why a payload is refused', async () => {
    const i = ingest();
    const t = 'site/atalaya/in/d/telemetry';
    const reason = async (topic: string, payload: Buffer): Promise<unknown> => ((await i.handle(topic, payload)) as { reason?: string }).reason;
    expect(await reason(t, Buffer.from('{"channel":'))).toBe('bad_json');
    expect(await reason(t, json({ channel: 'ch4', value: 1 }))).toBe('schema');
    expect(await reason(t, json({ channel: 'ch4', value: 1, unit: 'x', extra: true }))).toBe('schema');
    expect(await reason(t, json({ channel: 'a/b', value: 1, unit: 'x' }))).toBe('schema');
    expect(await reason(t, json({ channel: 'ch4', value: 1, unit: 'x', ts: 'yesterday' }))).toBe('schema');
    expect(await reason(t, json([]))).toBe('schema');
    expect(await reason(t, json(Array.from({ length: MAX_BATCH + 1 }, () => ({ channel: 'c', value: 1, unit: 'x' }))))).toBe('schema');
    expect(await reason(t, json({ channel: 'c', value: 1, unit: 'x'.repeat(64 * 1024) }))).toBe('oversized');
    expect(await reason('site/atalaya/in/d/alarm', json({ channel: 'ch4', level: 'alarm', state: 'acknowledged' }))).toBe('schema');
    expect(await reason('site/atalaya/in/d/other', json({}))).toBe('unknown_topic');
    expect(await reason(t, json(Array.from({ length: MAX_BATCH + 1 }, () => ({ channel: 'c', value: 1, unit: 'x' }))).subarray(0, 100))).toBe('bad_json');
  });
});

describe('ingest and the record check', () => {
  it('refuses, as invalid_record and without calling the sink, a payload the schema takes but whose records the buffer and the wire refuse', async () => {
    const stored: NewRecord[][] = [];
    const i = ingest(async (r) => {
      stored.push([...r]);
      return r.map((_, k) => k + 1);
    });
    // An RFC 3339 date before 1970 is a negative ts: no record may carry it (protocols/records-check.ts).
    const early = '1969-12-31T23:59:59Z';
    expect(await i.handle('site/atalaya/in/d/telemetry', json({ channel: 'ch4', value: 1, unit: 'x', ts: early }))).toEqual({
      status: 'invalid',
      reason: 'invalid_record',
    });
    // One bad object refuses its whole message: the device's seq names the message, stored whole or not at all.
    const batch = [
      { channel: 'ch4', value: 1, unit: 'x' },
      { channel: 'co', value: 2, unit: 'ppm', ts: '0001-01-01T00:00:00Z', seq: 9 },
    ];
    expect(await i.handle('site/atalaya/in/d/telemetry', json(batch))).toEqual({ status: 'invalid', reason: 'invalid_record' });
    expect(await i.handle('site/atalaya/in/d/alarm', json({ channel: 'ch4', level: 'alarm', state: 'raised', ts: early }))).toEqual({
      status: 'invalid',
      reason: 'invalid_record',
    });
    expect(stored).toEqual([]);
    // The same payloads at the epoch are stored.
    expect(await i.handle('site/atalaya/in/d/telemetry', json({ channel: 'ch4', value: 1, unit: 'x', ts: '1970-01-01T00:00:00Z' }))).toEqual({
      status: 'stored',
      records: 1,
    });
  });
});

describe('ingest redelivery', () => {
  it('stores a repeated device seq once, but again after the first attempt failed to store', async () => {
    const diskFull = new Error('disk full');
    let fail = true;
    let appends = 0;
    const i = ingest(async (r) => {
      if (fail) throw diskFull;
      appends++;
      return r.map((_, k) => k);
    });
    const t = 'site/atalaya/in/d/telemetry';
    const msg = json({ channel: 'c', value: 1, unit: 'x', seq: 9 });
    await expect(i.handle(t, msg)).rejects.toBe(diskFull);
    fail = false;
    expect(await i.handle(t, msg)).toEqual({ status: 'stored', records: 1 });
    expect(await i.handle(t, msg)).toEqual({ status: 'duplicate' });
    expect(await i.handle('site/atalaya/in/d/alarm', json({ channel: 'c', level: 'alarm', state: 'raised', seq: 9 }))).toEqual({
      status: 'stored',
      records: 1,
    });
    expect(await i.handle(t, json({ channel: 'c', value: 2, unit: 'x', seq: 10 }))).toEqual({ status: 'stored', records: 1 });
    expect(await i.handle(t, msg)).toEqual({ status: 'stored', records: 1 });
    expect(appends).toBe(4);
  });

  it('takes a sink that throws for one that rejects, with or without a seq, and stores the redelivery', async () => {
    const broken = new Error('sink threw');
    let fail = true;
    const i = ingest((r) => {
      if (fail) throw broken;
      return Promise.resolve(r.map((_, k) => k));
    });
    const t = 'site/atalaya/in/d/telemetry';
    const msg = json({ channel: 'c', value: 1, unit: 'x', seq: 3 });
    await expect(i.handle(t, msg)).rejects.toBe(broken);
    await expect(i.handle(t, json({ channel: 'c', value: 1, unit: 'x' }))).rejects.toBe(broken);
    fail = false;
    expect(await i.handle(t, msg)).toEqual({ status: 'stored', records: 1 });
  });

  it('reports each message once through handleWith, synchronously for refusals', async () => {
    const i = ingest();
    const calls: unknown[] = [];
    i.handleWith('site/atalaya/in/d/status', json({}), (err, outcome) => calls.push([err, outcome]));
    i.handleWith('site/atalaya/in/d/telemetry', Buffer.from('{'), (err, outcome) => calls.push([err, outcome]));
    expect(calls).toEqual([
      [null, { status: 'invalid', reason: 'unknown_topic' }],
      [null, { status: 'invalid', reason: 'bad_json' }],
    ]);
    const stored = await new Promise((resolve) =>
      i.handleWith(
        'site/atalaya/in/d/telemetry',
        json([
          { channel: 'a', value: 1, unit: 'x' },
          { channel: 'b', value: 2, unit: 'x', seq: 1 },
        ]),
        (err, outcome) => resolve([err, outcome]),
      ),
    );
    expect(stored).toEqual([null, { status: 'stored', records: 2 }]);
  });

  it('commits the seq with the records and checks a stream not in memory against the stored seq (issue 19)', async () => {
    const marks: unknown[] = [];
    const i = new Ingest({
      topicPrefix: 'site/atalaya',
      maxPayloadBytes: 64 * 1024,
      clock,
      bootId: 'b',
      flags: () => 0,
      sink: async (r, mark) => {
        marks.push(mark);
        return r.map((_, k) => k);
      },
      storedSeq: (stream) => (stream === 'd/telemetry' ? 41 : undefined),
    });
    const t = 'site/atalaya/in/d/telemetry';
    expect(await i.handle(t, json({ channel: 'c', value: 1, unit: 'x', seq: 41 }))).toEqual({ status: 'duplicate' });
    expect(await i.handle(t, json({ channel: 'c', value: 1, unit: 'x', seq: 42 }))).toEqual({ status: 'stored', records: 1 });
    expect(await i.handle('site/atalaya/in/d/alarm', json({ channel: 'c', level: 'alarm', state: 'raised', seq: 41 }))).toEqual({
      status: 'stored',
      records: 1,
    });
    expect(await i.handle(t, json({ channel: 'c', value: 1, unit: 'x' }))).toEqual({ status: 'stored', records: 1 });
    expect(marks).toEqual([{ stream: 'd/telemetry', seq: 42 }, { stream: 'd/alarm', seq: 41 }, undefined]);
  });
});
