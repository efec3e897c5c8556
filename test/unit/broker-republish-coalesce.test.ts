import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type CommittedListener, Republisher } from '../../agent/broker/republisher.ts';
import { PRIORITY, type StoredRecord } from '../../protocols/records.ts';

const reading = (seq: number, device: string, value: number): StoredRecord => ({
  seq,
  kind: 'reading',
  device,
  channel: 'ch4',
  value,
  unit: '%LEL',
  quality: 'good',
  exception: null,
  ts: 1_750_000_000_000 + seq,
  mono: seq,
  bootId: 'b',
  priority: PRIORITY.ordinary,
  flags: 0,
});

const alarm = (seq: number): StoredRecord => ({
  ...reading(seq, 'gas-1', 30),
  kind: 'alarm',
  priority: PRIORITY.alarm,
  alarm: { rule: 'high', level: 'alarm', state: 'raised', threshold: 20 },
});

function republisher(): { commit: CommittedListener; published: Array<[string, string]> } {
  let listener: CommittedListener | undefined;
  const published: Array<[string, string]> = [];
  const r = new Republisher({
    topicPrefix: 'atalaya',
    gatewayId: 'gw-1',
    logger: pino({ level: 'silent' }),
    onCommitted: (l) => {
      listener = l;
      return () => undefined;
    },
    publish: (topic, payload) => published.push([topic, payload]),
  });
  r.start();
  return { commit: (records) => listener!(records), published };
}

describe('republishing one commit', () => {
  it('publishes the last reading of each topic, every alarm transition, in commit order', () => {
    const { commit, published } = republisher();
    commit([reading(1, 'gas-1', 1), reading(2, 'gas-2', 2), reading(3, 'gas-1', 3), alarm(4), reading(5, 'gas-1', 5)]);
    expect(published.map(([topic, payload]) => [topic, (JSON.parse(payload) as { seq: number }).seq])).toEqual([
      ['atalaya/gw-1/gas-2/ch4', 2],
      ['atalaya/gw-1/gas-1/ch4/alarm/high', 4],
      ['atalaya/gw-1/gas-1/ch4', 5],
    ]);
  });

  it('publishes every reading of the next commit again (coalescing never spans commits)', () => {
    const { commit, published } = republisher();
    commit([reading(1, 'gas-1', 1)]);
    commit([reading(2, 'gas-1', 2)]);
    expect(published).toHaveLength(2);
  });
});
