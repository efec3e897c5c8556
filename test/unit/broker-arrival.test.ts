import { describe, expect, it } from 'vitest';
import { perBatch } from '../../agent/broker/arrival.ts';
import { Ingest } from '../../agent/broker/ingest.ts';
import type { NewRecord } from '../../protocols/records.ts';

describe('one clock reading per batch of packets read together (issue 18)', () => {
  it('reads once per synchronous run and again after the next microtask checkpoint', async () => {
    let reads = 0;
    const read = perBatch(() => ++reads);
    expect([read(), read(), read()]).toEqual([1, 1, 1]);
    await Promise.resolve();
    expect([read(), read()]).toEqual([2, 2]);
    await new Promise((r) => setImmediate(r));
    expect(read()).toBe(3);
  });

  it('gives the messages handled in one run the same arrival time, mono and flags, and later ones the clock of then', async () => {
    let t = 1_763_900_000_000;
    let mono = 100;
    let flags = 0;
    const stored: NewRecord[] = [];
    const ingest = new Ingest({
      topicPrefix: 'atalaya',
      maxPayloadBytes: 1024,
      sink: (records) => {
        stored.push(...records);
        return Promise.resolve(records.map((_, i) => i));
      },
      clock: { now: () => t++, monotonic: () => mono++ },
      bootId: 'boot',
      flags: () => flags++,
    });
    const msg = (value: number): Buffer => Buffer.from(JSON.stringify({ channel: 'c', value, unit: 'x' }));
    const first = [ingest.handle('atalaya/in/d/telemetry', msg(1)), ingest.handle('atalaya/in/e/telemetry', msg(2))];
    await Promise.all(first);
    await ingest.handle('atalaya/in/d/telemetry', msg(3));
    expect(stored.map((r) => [r.value, r.ts, r.mono, r.flags])).toEqual([
      [1, 1_763_900_000_000, 100, 0],
      [2, 1_763_900_000_000, 100, 0],
      [3, 1_763_900_000_001, 101, 1],
    ]);
  });
});
