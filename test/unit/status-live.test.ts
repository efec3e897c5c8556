import { describe, expect, it } from 'vitest';
import { LiveView } from '../../agent/status/live.ts';
import { SeriesRing } from '../../agent/status/series.ts';
import { PRIORITY } from '../../protocols/records.ts';
import { FakeBuffer } from './status-setup.ts';

const alarm = (n: number) => ({
  device: 'gas',
  channel: 'ch4',
  kind: 'alarm' as const,
  priority: PRIORITY.alarm,
  value: n,
  alarm: { rule: 'high1', level: 'warning' as const, state: 'raised' as const, threshold: 10 },
});

describe('series ring', () => {
  it('keeps the last `capacity` points, oldest first', () => {
    const ring = new SeriesRing(3);
    expect(ring.points()).toEqual([]);
    for (let i = 1; i <= 5; i++) ring.push(i * 1000, i);
    expect(ring.length).toBe(3);
    expect(ring.points()).toEqual([
      [3000, 3],
      [4000, 4],
      [5000, 5],
    ]);
  });
});

describe('live view', () => {
  it('seeds channels from the buffer and the newest alarm records across many pages', () => {
    const buffer = new FakeBuffer();
    buffer.commit({ device: 'gas', channel: 'ch4', value: 1 });
    for (let i = 0; i < 1203; i++) buffer.commit(alarm(i));
    buffer.commit({ device: 'gas', channel: 'ch4', value: 2 }, { device: 'flow', channel: 'flow', value: 3 });
    const live = new LiveView({ seriesLength: 10, recentAlarms: 50 });
    live.seed(buffer);
    expect(live.deviceIds()).toEqual(['gas', 'flow']);
    expect(live.latest('gas').map((r) => r.value)).toEqual([2]);
    const recent = live.recentAlarms();
    expect(recent).toHaveLength(50);
    expect(recent[0]!.value).toBe(1202);
    expect(recent[49]!.value).toBe(1153);
    // The series holds readings since start only.
    expect(live.series('gas', 'ch4')).toEqual({ unit: 'u', points: [] });
  });

  it('keeps the latest reading per channel, a bounded series, and the newest alarms first', () => {
    const buffer = new FakeBuffer();
    const live = new LiveView({ seriesLength: 3, recentAlarms: 2 });
    live.seed(buffer);
    for (let i = 1; i <= 5; i++) live.add(buffer.commit({ device: 'gas', channel: 'ch4', value: i, ts: i }));
    live.add(buffer.commit({ device: 'gas', channel: 'ch4', value: null, quality: 'comm_error', ts: 6 }, alarm(1), alarm(2), alarm(3)));
    expect(live.latest('gas')[0]).toMatchObject({ value: null, quality: 'comm_error', ts: 6 });
    expect(live.series('gas', 'ch4')!.points).toEqual([
      [3, 3],
      [4, 4],
      [5, 5],
    ]);
    expect(live.recentAlarms().map((r) => r.value)).toEqual([3, 2]);
    expect(live.series('gas', 'h2s')).toBeUndefined();
    expect(live.latest('nope')).toEqual([]);
  });
});
