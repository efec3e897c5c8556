import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type CommittedListener, Republisher } from '../../agent/broker/republisher.ts';
import { type AlarmState, PRIORITY, type StoredRecord } from '../../protocols/records.ts';

const record = (seq: number, state: AlarmState): StoredRecord => ({
  seq,
  kind: 'alarm',
  device: 'gas-1',
  channel: 'ch4',
  value: state === 'paged' ? 1 : 25,
  unit: state === 'paged' ? 'modem' : '%LEL',
  quality: 'good',
  exception: null,
  ts: 1_750_000_000_000,
  mono: 1000,
  bootId: 'b',
  priority: PRIORITY.alarm,
  flags: 0,
  alarm: { rule: 'high2', level: 'alarm', state, threshold: state === 'paged' ? null : 20 },
});

describe('republishing a paged note', () => {
  it('is published on the rule topic without retain, so the retained message stays the transition', () => {
    let listener: CommittedListener | undefined;
    const published: Array<[string, number, boolean]> = [];
    const r = new Republisher({
      topicPrefix: 'atalaya',
      gatewayId: 'gw-1',
      logger: pino({ level: 'silent' }),
      onCommitted: (l) => {
        listener = l;
        return () => undefined;
      },
      publish: (topic, _payload, qos, retain) => published.push([topic, qos, retain]),
    });
    r.start();
    listener!([record(1, 'raised'), record(2, 'paged')]);
    expect(published).toEqual([
      ['atalaya/gw-1/gas-1/ch4/alarm/high2', 1, true],
      ['atalaya/gw-1/gas-1/ch4/alarm/high2', 1, false],
    ]);
  });
});
