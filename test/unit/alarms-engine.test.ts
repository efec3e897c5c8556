import { describe, expect, it } from 'vitest';
import { AlarmEngine } from '../../agent/alarms/engine.ts';
import { deviceAlarmRecord } from '../../agent/alarms/record.ts';
import { resolveAlarmRules } from '../../agent/alarms/resolve.ts';
import { alarmsConfigSchema } from '../../agent/alarms/schema.ts';
import type { AlarmStateSnapshot } from '../../agent/alarms/types.ts';
import type { Clock } from '../../protocols/clock.ts';
import { BUILTIN_PROFILES } from '../../protocols/profiles/index.ts';
import { type NewRecord, PRIORITY, type Quality, type StoredRecord } from '../../protocols/records.ts';
import { testLogger } from '../helpers/logger.ts';

const UNITS: Record<string, string> = { ch4: '%LEL', h2s: 'ppm', co: 'ppm', o2: '%vol', flow: 'L/s' };

/** Built-in gas-detector defaults on gas-1, a flowmeter (no rules) on flow-1; a fake sink and clock. */
function setup(initial: AlarmStateSnapshot[] = [], sink?: (records: NewRecord[]) => Promise<unknown>) {
  const table = resolveAlarmRules(
    alarmsConfigSchema.parse({}),
    [
      { id: 'gas-1', profile: 'gas-detector' },
      { id: 'flow-1', profile: 'flowmeter' },
    ],
    BUILTIN_PROFILES,
  );
  const clock = { wall: 1_700_000_000_000, mono: 50_000 };
  const fakeClock: Clock = { now: () => clock.wall, monotonic: () => clock.mono };
  const batches: NewRecord[][] = [];
  const engine = new AlarmEngine({
    ...table,
    sink:
      sink ??
      (async (records) => {
        batches.push(records);
      }),
    initial: () => initial,
    clock: fakeClock,
    bootId: 'boot-now',
    logger: testLogger(),
  });
  engine.start();
  let seq = 0;
  const reading = (channel: string, value: number | null, quality: Quality = 'good', device = 'gas-1'): StoredRecord => {
    clock.wall += 1000;
    clock.mono += 1000;
    return {
      kind: 'reading',
      device,
      channel,
      value,
      unit: UNITS[channel] ?? '',
      quality,
      exception: null,
      ts: clock.wall,
      mono: clock.mono,
      bootId: 'boot-r',
      priority: PRIORITY.ordinary,
      flags: 1,
      seq: ++seq,
    };
  };
  /** Feeds each value as its own committed batch; returns the alarm records produced, flattened. */
  const feed = (channel: string, ...values: number[]): NewRecord[] => {
    const before = batches.length;
    for (const v of values) engine.onRecords([reading(channel, v)]);
    return batches.slice(before).flat();
  };
  const transitions = (records: NewRecord[]) => records.map((r) => `${r.alarm?.rule}:${r.alarm?.state}@${r.value}`);
  return { engine, clock, batches, reading, feed, transitions };
}

const snapshot = (rule: string, state: AlarmStateSnapshot['state'], extra: Partial<AlarmStateSnapshot> = {}): AlarmStateSnapshot => ({
  device: 'gas-1',
  channel: 'ch4',
  rule,
  level: rule === 'high2' ? 'alarm' : 'warning',
  state,
  threshold: rule === 'high2' ? 20 : 10,
  value: 25,
  ts: 1_600_000_000_000,
  seq: 7,
  ...extra,
});

describe('alarm engine: thresholds', () => {
  it('raises at the threshold and clears only past the hysteresis band, without chattering', () => {
    const { feed, transitions, batches } = setup();
    // CH4 high1: raise at ≥ 10 %LEL, clear below 10 − 2 = 8.
    expect(transitions(feed('ch4', 9.9, 10, 9.5, 10.4, 8.5, 8, 10, 7.9, 9.9))).toEqual(['high1:raised@10', 'high1:cleared@7.9']);
    expect(batches).toHaveLength(2);
  });

  it('makes the alarm record from the reading that caused the transition', () => {
    const { engine, reading, batches } = setup();
    const r = reading('ch4', 12.5);
    engine.onRecords([r]);
    expect(batches[0]).toEqual([
      {
        kind: 'alarm',
        device: 'gas-1',
        channel: 'ch4',
        value: 12.5,
        unit: '%LEL',
        quality: 'good',
        exception: null,
        ts: r.ts,
        mono: r.mono,
        bootId: 'boot-r',
        priority: PRIORITY.alarm,
        flags: 1,
        alarm: { rule: 'high1', level: 'warning', state: 'raised', threshold: 10 },
      },
    ]);
  });

  it('escalates from warning to alarm, one sink call per committed batch', () => {
    const { engine, reading, batches, transitions } = setup();
    engine.onRecords([reading('ch4', 12), reading('h2s', 1), reading('ch4', 25)]);
    expect(batches).toHaveLength(1);
    expect(transitions(batches[0]!)).toEqual(['high1:raised@12', 'high2:raised@25']);
    expect(batches[0]!.map((r) => r.alarm?.level)).toEqual(['warning', 'alarm']);
    expect(engine.active().map((a) => `${a.rule}/${a.level}`)).toEqual(['high1/warning', 'high2/alarm']);
  });

  it('raises low alarms below the threshold and clears them above threshold + hysteresis (O2)', () => {
    const { feed, transitions } = setup();
    // O2 low1: raise at ≤ 19.5 %vol, clear above 19.5 + 0.6; high1 at ≥ 23.5.
    expect(transitions(feed('o2', 20.9, 19.6, 19.5, 20, 20.1, 19.2, 20.2))).toEqual(['low1:raised@19.5', 'low1:cleared@20.2']);
    expect(transitions(feed('o2', 23.4, 23.5, 23))).toEqual(['high1:raised@23.5']);
  });

  it('leaves channels without rules, other devices and alarm records alone', () => {
    const { engine, reading, batches } = setup();
    const alarm = deviceAlarmRecord(reading('ch4', 90), 'alarm', 'raised');
    engine.onRecords([reading('flow', 1e6, 'good', 'flow-1'), reading('ch4', 90, 'good', 'gas-9'), { ...alarm, seq: 99 }]);
    expect(batches).toEqual([]);
  });
});

describe('alarm engine: reading quality', () => {
  it('neither raises nor clears on comm_error, exception or sensor_fault readings', () => {
    const { engine, reading, feed, batches } = setup();
    engine.onRecords([reading('ch4', 50, 'sensor_fault'), reading('ch4', null, 'comm_error'), reading('ch4', null, 'exception')]);
    expect(batches).toEqual([]);
    feed('ch4', 12);
    engine.onRecords([reading('ch4', 0, 'sensor_fault'), reading('ch4', null, 'comm_error')]);
    expect(batches).toHaveLength(1);
    expect(engine.active()).toMatchObject([{ rule: 'high1', value: 12 }]);
  });

  it('lets an out-of-range value raise (over-range gas) but never clear', () => {
    const { engine, reading, batches, transitions } = setup();
    engine.onRecords([reading('ch4', 120, 'out_of_range')]);
    expect(transitions(batches.flat())).toEqual(['high1:raised@120', 'high2:raised@120']);
    engine.onRecords([reading('ch4', -3, 'out_of_range')]);
    expect(batches).toHaveLength(1);
  });
});

describe('alarm engine: latching and acknowledgement', () => {
  it('keeps a latched alarm raised after its condition clears; acknowledging then clears it', () => {
    const { engine, feed, transitions, clock } = setup();
    expect(transitions(feed('ch4', 25, 5))).toEqual(['high1:raised@25', 'high2:raised@25', 'high1:cleared@5']);
    expect(engine.active()).toMatchObject([{ rule: 'high2', state: 'raised', latched: true }]);
    const ack = engine.acknowledge('gas-1', 'ch4', 'high2');
    expect(ack).toEqual({
      kind: 'alarm',
      device: 'gas-1',
      channel: 'ch4',
      value: 5,
      unit: '%LEL',
      quality: 'good',
      exception: null,
      ts: clock.wall,
      mono: clock.mono,
      bootId: 'boot-now',
      priority: PRIORITY.alarm,
      flags: 0,
      alarm: { rule: 'high2', level: 'alarm', state: 'cleared', threshold: 20 },
    });
    expect(engine.active()).toEqual([]);
    expect(engine.acknowledge('gas-1', 'ch4', 'high2')).toBeUndefined();
    expect(feed('ch4', 5)).toEqual([]);
  });

  it('marks an alarm acknowledged while its condition holds, then clears it normally', () => {
    const { engine, feed, transitions, batches } = setup();
    feed('ch4', 25);
    expect(engine.acknowledge('gas-1', 'ch4', 'high2')?.alarm?.state).toBe('acknowledged');
    expect(batches.at(-1)?.map((r) => r.alarm?.state)).toEqual(['acknowledged']);
    expect(engine.acknowledge('gas-1', 'ch4', 'high2')).toBeUndefined();
    expect(engine.active()).toMatchObject([
      { rule: 'high1', state: 'raised' },
      { rule: 'high2', state: 'acknowledged', latched: false },
    ]);
    expect(transitions(feed('ch4', 19, 17.9))).toEqual(['high2:cleared@17.9']);
  });

  it('does not re-raise a latched alarm whose condition returns before the acknowledgement', () => {
    const { engine, feed, transitions } = setup();
    feed('ch4', 25, 5);
    expect(transitions(feed('ch4', 30))).toEqual(['high1:raised@30']);
    expect(engine.acknowledge('gas-1', 'ch4', 'high2')?.alarm?.state).toBe('acknowledged');
    expect(transitions(feed('ch4', 5))).toEqual(['high1:cleared@5', 'high2:cleared@5']);
  });

  it('has nothing to acknowledge for unknown rules or alarms not raised', () => {
    const { engine } = setup();
    expect(engine.acknowledge('gas-1', 'ch4', 'high1')).toBeUndefined();
    expect(engine.acknowledge('gas-1', 'ch4', 'nope')).toBeUndefined();
    expect(engine.acknowledge('gas-9', 'ch4', 'high1')).toBeUndefined();
  });
});

describe('alarm engine: restart', () => {
  it('does not re-raise an alarm restored as raised, and clears it when the value falls', () => {
    const { feed, transitions } = setup([snapshot('high1', 'raised')]);
    expect(feed('ch4', 15)).toEqual([]);
    expect(transitions(feed('ch4', 5))).toEqual(['high1:cleared@5']);
  });

  it('keeps a restored latching alarm until acknowledged, even after its condition cleared', () => {
    const { engine, feed, transitions } = setup([snapshot('high1', 'cleared', { seq: 6 }), snapshot('high2', 'raised', { seq: 8 })]);
    expect(engine.active()).toMatchObject([{ rule: 'high2', state: 'raised', value: 25, ts: 1_600_000_000_000 }]);
    expect(feed('ch4', 3)).toEqual([]);
    expect(engine.acknowledge('gas-1', 'ch4', 'high2')?.alarm?.state).toBe('cleared');
    expect(transitions(feed('ch4', 25))).toEqual(['high1:raised@25', 'high2:raised@25']);
  });

  it('restores acknowledged alarms and takes the latest row of a rule', () => {
    const { engine, feed, transitions } = setup([snapshot('high2', 'acknowledged', { seq: 9 }), snapshot('high2', 'raised', { seq: 8 })]);
    expect(engine.active()).toMatchObject([{ rule: 'high2', state: 'acknowledged' }]);
    expect(transitions(feed('ch4', 5))).toEqual(['high2:cleared@5']);
  });

  it('clears at start the raised alarms of rules no longer configured; ignores device-reported ones', () => {
    const { batches, engine } = setup([
      snapshot('high3', 'raised'),
      snapshot('high1', 'raised', { device: 'gas-old' }),
      snapshot('device', 'raised'),
      snapshot('high4', 'cleared'),
    ]);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((r) => `${r.device}/${r.alarm?.rule}:${r.alarm?.state}`)).toEqual(['gas-1/high3:cleared', 'gas-old/high1:cleared']);
    expect(batches[0]![0]).toMatchObject({ unit: '%LEL', bootId: 'boot-now', value: 25, priority: PRIORITY.alarm });
    expect(engine.active()).toEqual([]);
  });
});

describe('alarm engine: lifecycle', () => {
  it('logs a failed sink instead of throwing, and stop() waits for it', async () => {
    let reject: (err: Error) => void = () => undefined;
    const { engine, reading } = setup(
      [],
      () =>
        new Promise((_resolve, rej) => {
          reject = rej;
        }),
    );
    engine.onRecords([reading('ch4', 25)]);
    const stopped = engine.stop();
    reject(new Error('disk full'));
    await expect(stopped).resolves.toBeUndefined();
  });

  it('evaluates nothing once stopped; stop() is idempotent', async () => {
    const { engine, reading, batches } = setup();
    await engine.stop();
    await engine.stop();
    engine.onRecords([reading('ch4', 25)]);
    expect(engine.acknowledge('gas-1', 'ch4', 'high1')).toBeUndefined();
    expect(batches).toEqual([]);
  });
});

describe('device-reported alarms', () => {
  it('builds an alarm record with rule device and no threshold', () => {
    const at = { device: 'gas-5', channel: 'h2s', value: 12, unit: 'ppm', ts: 1, mono: 2, bootId: 'b', flags: 0 };
    expect(deviceAlarmRecord(at, 'alarm', 'raised')).toMatchObject({
      kind: 'alarm',
      priority: PRIORITY.alarm,
      quality: 'good',
      value: 12,
      alarm: { rule: 'device', level: 'alarm', state: 'raised', threshold: null },
    });
  });
});
