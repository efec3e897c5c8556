import { describe, expect, it } from 'vitest';
import { sparkplugMappingSchema } from '../../agent/broker/mapping-schema.ts';
import { parseSparkplugTopic, SparkplugState, type SparkplugTopic, typedNumber } from '../../agent/broker/mapping-sparkplug.ts';
import { decodeSparkplug } from '../../agent/broker/mapping-sparkplug-codec.ts';
import { type BirthMetric, birthPayload, dataPayload, deathPayload } from '../../simulators/mqtt/sparkplug-payloads.ts';

const NOW = 1_765_000_000_000;
const T = 1_764_000_000_000;
const topic = (s: string): SparkplugTopic => {
  const t = parseSparkplugTopic(s);
  if (t === undefined) throw new Error(s);
  return t;
};
const buf = (u: Uint8Array): Buffer => Buffer.from(u);

const METRICS: BirthMetric[] = [
  { name: 'Gas/CH4', alias: 1, type: 'Float', value: 0 },
  { name: 'Gas/O2', alias: 2, type: 'Double', value: 20.9 },
  { name: 'Counter', alias: 3, type: 'Int32', value: 0 },
  { name: 'Pump running', alias: 4, type: 'Boolean', value: false },
  { name: 'Volume', alias: 5, type: 'UInt64', value: 0 },
];

function mapping(extra: Record<string, unknown> = {}) {
  return new SparkplugState(
    sparkplugMappingSchema.parse({
      name: 'plant',
      format: 'sparkplug-b',
      group: 'plant1',
      metrics: [
        { name: 'Gas/CH4', channel: 'ch4', unit: '%LEL' },
        { name: 'Gas/O2', channel: 'o2', unit: '%vol' },
      ],
      ...extra,
    }),
  );
}

describe('Sparkplug topics', () => {
  it('parses the node data topics and leaves commands and STATE to others', () => {
    expect(parseSparkplugTopic('spBv1.0/plant1/DDATA/edge-1/det-7')).toEqual({ group: 'plant1', type: 'DDATA', node: 'edge-1', device: 'det-7' });
    expect(parseSparkplugTopic('spBv1.0/plant1/NBIRTH/edge-1')).toEqual({ group: 'plant1', type: 'NBIRTH', node: 'edge-1', device: undefined });
    for (const t of [
      'spBv1.0/plant1/NCMD/edge-1',
      'spBv1.0/plant1/DCMD/edge-1/d',
      'spBv1.0/STATE/host',
      'spBv1.0/plant1/NDATA/edge-1/extra',
      'spBv1.0/plant1/DDATA/edge-1',
      'spAv1.0/g/NDATA/n',
    ])
      expect(parseSparkplugTopic(t), t).toBeUndefined();
  });
});

describe('Sparkplug B decoding (sparkplug-payload)', () => {
  it('names alias-only DDATA metrics and types their values from the DBIRTH; metric timestamps win', () => {
    const s = mapping();
    expect(s.handle(topic('spBv1.0/plant1/NBIRTH/edge-1'), buf(birthPayload({ timestamp: T, seq: 0, bdSeq: 4, metrics: [] })), NOW)).toMatchObject({
      ok: true,
      values: [],
    });
    const birth = s.handle(topic('spBv1.0/plant1/DBIRTH/edge-1/det-7'), buf(birthPayload({ timestamp: T, seq: 1, metrics: METRICS })), NOW);
    expect(birth).toMatchObject({ ok: true, device: 'det-7' });
    const data = s.handle(
      topic('spBv1.0/plant1/DDATA/edge-1/det-7'),
      buf(
        dataPayload({
          timestamp: T + 1000,
          seq: 2,
          metrics: [
            { alias: 1, type: 'Float', value: 12.5, timestamp: T + 500 },
            { alias: 2, type: 'Double', value: 20.8 },
            { alias: 3, type: 'Int32', value: -7 },
            { alias: 4, type: 'Boolean', value: true },
            { alias: 5, type: 'UInt64', value: 2 ** 40 },
          ],
        }),
      ),
      NOW,
    );
    expect(data).toEqual({
      ok: true,
      device: 'det-7',
      missing: 0,
      values: [
        { channel: 'ch4', value: 12.5, unit: '%LEL', quality: 'good', ts: T + 500 },
        { channel: 'o2', value: 20.8, unit: '%vol', quality: 'good', ts: T + 1000 },
        { channel: 'Counter', value: -7, unit: '', quality: 'good', ts: T + 1000 },
        { channel: 'Pump_running', value: 1, unit: '', quality: 'good', ts: T + 1000 },
        { channel: 'Volume', value: 2 ** 40, unit: '', quality: 'good', ts: T + 1000 },
      ],
    });
    expect(s.counts).toEqual({ seqGaps: 0, bdSeqGaps: 0, unknownMetrics: 0, deaths: 0 });
  });

  it('refuses a DDATA before its DBIRTH (unknown alias) and one after the NDEATH of the session', () => {
    const s = mapping();
    const ddata = (seq: number): Buffer => buf(dataPayload({ timestamp: T, seq, metrics: [{ alias: 1, type: 'Float', value: 1 }] }));
    expect(s.handle(topic('spBv1.0/plant1/DDATA/edge-1/det-7'), ddata(5), NOW)).toEqual({ ok: false, reason: 'unknown_alias' });
    s.handle(topic('spBv1.0/plant1/NBIRTH/edge-1'), buf(birthPayload({ timestamp: T, seq: 0, bdSeq: 1, metrics: [] })), NOW);
    s.handle(topic('spBv1.0/plant1/DBIRTH/edge-1/det-7'), buf(birthPayload({ timestamp: T, seq: 1, metrics: METRICS })), NOW);
    expect(s.handle(topic('spBv1.0/plant1/DDATA/edge-1/det-7'), ddata(2), NOW)).toMatchObject({ ok: true, values: [{ channel: 'ch4', value: 1 }] });
    // A stale Will (bdSeq of another session) changes nothing; this session's ends it.
    s.handle(topic('spBv1.0/plant1/NDEATH/edge-1'), buf(deathPayload(0)), NOW);
    expect(s.handle(topic('spBv1.0/plant1/DDATA/edge-1/det-7'), ddata(3), NOW)).toMatchObject({ ok: true });
    s.handle(topic('spBv1.0/plant1/NDEATH/edge-1'), buf(deathPayload(1)), NOW);
    expect(s.handle(topic('spBv1.0/plant1/DDATA/edge-1/det-7'), ddata(4), NOW)).toEqual({ ok: false, reason: 'unknown_alias' });
    expect(s.counts).toMatchObject({ unknownMetrics: 2, deaths: 1 });
  });

  it('counts seq gaps (mod 256) and bdSeq gaps between sessions', () => {
    const s = mapping();
    const nbirth = (bdSeq: number): Buffer =>
      buf(birthPayload({ timestamp: T, seq: 0, bdSeq, metrics: [{ name: 'Gas/CH4', alias: 1, type: 'Float', value: 1 }] }));
    const ndata = (seq: number): Buffer => buf(dataPayload({ timestamp: T, seq, metrics: [{ alias: 1, type: 'Float', value: 2 }] }));
    const n = topic('spBv1.0/plant1/NBIRTH/edge-1');
    const d = topic('spBv1.0/plant1/NDATA/edge-1');
    s.handle(n, nbirth(255), NOW);
    for (let seq = 1; seq <= 255; seq++) s.handle(d, ndata(seq), NOW);
    s.handle(d, ndata(0), NOW); // wraps: no gap
    s.handle(d, ndata(3), NOW); // 1 and 2 lost
    expect(s.counts.seqGaps).toBe(1);
    s.handle(n, nbirth(0), NOW); // 255 → 0: the next session
    expect(s.counts.bdSeqGaps).toBe(0);
    s.handle(n, nbirth(2), NOW); // session 1 never seen
    expect(s.counts.bdSeqGaps).toBe(1);
    // NDATA values use the node template: the edge node's id.
    expect(s.handle(d, ndata(1), NOW)).toMatchObject({ ok: true, device: 'edge-1', values: [{ channel: 'ch4', value: 2 }] });
  });

  it('is_null: no record, or a sensor_fault one with missing: fault; listed-only metrics with otherMetrics: skip', () => {
    const s = mapping({ missing: 'fault', otherMetrics: 'skip' });
    s.handle(topic('spBv1.0/plant1/DBIRTH/edge-1/det-7'), buf(birthPayload({ timestamp: T, seq: 1, metrics: METRICS })), NOW);
    const d = s.handle(
      topic('spBv1.0/plant1/DDATA/edge-1/det-7'),
      buf(
        dataPayload({
          timestamp: T,
          seq: 2,
          metrics: [
            { alias: 1, type: 'Float', value: null },
            { alias: 2, type: 'Double', value: 20 },
            { alias: 3, type: 'Int32', value: 9 },
          ],
        }),
      ),
      NOW,
    );
    expect(d).toEqual({
      ok: true,
      device: 'det-7',
      missing: 1,
      values: [
        { channel: 'ch4', value: null, unit: '%LEL', quality: 'sensor_fault', ts: T },
        { channel: 'o2', value: 20, unit: '%vol', quality: 'good', ts: T },
      ],
    });
  });

  it('refuses what is not a Sparkplug payload', () => {
    const s = mapping();
    expect(s.handle(topic('spBv1.0/plant1/NDATA/edge-1'), Buffer.from('{"CH4": 1}'), NOW)).toEqual({ ok: false, reason: 'bad_sparkplug' });
    expect(decodeSparkplug(Buffer.from([0xff, 0xff, 0xff]))).toBeUndefined();
  });

  it('types integers by Sparkplug DataType', () => {
    expect(typedNumber(0xffffffff, 3)).toBe(-1);
    expect(typedNumber(0xffffffff, 7)).toBe(4_294_967_295);
    expect(typedNumber(2n ** 64n - 5n, 4)).toBe(-5);
    expect(typedNumber(2n ** 40n, 8)).toBe(2 ** 40);
    expect(typedNumber(1, 11)).toBe(1);
    expect(typedNumber('x', 12)).toBeUndefined();
  });
});
