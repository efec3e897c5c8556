/**
 * The device-fault tracker (cloud/alerts/device-faults.ts) writes a channel's state only when it
 * turns bad or good again, never per reading; faultTransitions opens past the period and closes
 * on recovery; the config's period is validated with its path.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { alertsConfigSchema } from '../../cloud/alerts/config.ts';
import { DeviceFaultTracker, faultCursor, faultTransitions } from '../../cloud/alerts/device-faults.ts';
import type { Alert } from '../../cloud/store/alerts-types.ts';
import type { IngestInput } from '../../cloud/store/types.ts';

type Rec = IngestInput['records'][number];
const silent = pino({ level: 'silent' });

function fakeStore() {
  const rows = new Map<string, number>();
  const writes: Array<[string, number]> = [];
  return {
    rows,
    writes,
    setCursor: async (name: string, value: number) => {
      writes.push([name, value]);
      rows.set(name, value);
    },
    cursorsWithPrefix: async (prefix: string) => [...rows].filter(([n, v]) => n.startsWith(prefix) && v > 0).map(([name, value]) => ({ name, value })),
  };
}

const rec = (seq: number, quality: Rec['quality'], channel = 'flow', kind: Rec['kind'] = 'reading'): Rec =>
  ({
    gateway: 'gw-1',
    seq,
    kind,
    device: 'caudal-1',
    channel,
    value: quality === 'good' ? 1 : null,
    unit: 'L/s',
    quality,
    exception: null,
    ts: 1000 * seq,
    tsCorrected: null,
    mono: seq,
    bootId: 'b',
    priority: 0,
    flags: 0,
    alarm: null,
    hash: String(seq),
  }) as unknown as Rec;

const key = { gateway: 'gw-1', device: 'caudal-1', channel: 'flow' };

describe('device-fault tracker', () => {
  it('writes on good → bad and bad → good only, with the first bad reading as since', async () => {
    const store = fakeStore();
    const t = new DeviceFaultTracker(store, silent);
    await t.refresh();
    await t.observe('gw-1', [rec(1, 'good'), rec(2, 'good'), rec(3, 'good', 'level')]);
    expect(store.writes).toEqual([]);
    await t.observe('gw-1', [rec(4, 'good'), rec(5, 'comm_error'), rec(6, 'sensor_fault'), rec(7, 'comm_error')]);
    expect(store.writes).toEqual([[faultCursor(key), 5000]]);
    await t.observe('gw-1', [rec(8, 'comm_error'), rec(9, 'comm_error'), rec(10, 'good', 'level')]);
    expect(store.writes).toHaveLength(1);
    await t.observe('gw-1', [rec(11, 'comm_error'), rec(12, 'good'), rec(13, 'good')]);
    expect(store.writes).toEqual([
      [faultCursor(key), 5000],
      [faultCursor(key), 0],
    ]);
    // Bad then good within one batch: nothing was ever bad for a pass to see.
    await t.observe('gw-1', [rec(14, 'comm_error', 'level'), rec(15, 'good', 'level')]);
    expect(store.writes).toHaveLength(2);
    // Alarm records and other qualities are not faults.
    await t.observe('gw-1', [rec(16, 'good', 'ch4', 'alarm'), rec(17, 'exception' as Rec['quality'])]);
    expect(store.writes).toHaveLength(2);
  });

  it('knows what the database holds after refresh (a restart): recovery is written', async () => {
    const store = fakeStore();
    store.rows.set(faultCursor(key), 5000);
    const t = new DeviceFaultTracker(store, silent);
    await t.refresh();
    await t.observe('gw-1', [rec(20, 'comm_error')]);
    expect(store.writes).toEqual([]);
    await t.observe('gw-1', [rec(21, 'good')]);
    expect(store.writes).toEqual([[faultCursor(key), 0]]);
  });
});

describe('faultTransitions', () => {
  const open = (since: number): Alert =>
    ({ id: `device:gw-1:caudal-1:flow:${since}`, family: 'device:gw-1:caudal-1:flow', kind: 'device_fault', facts: { since } }) as unknown as Alert;
  const bad = [{ name: faultCursor(key), value: 5000 }];

  it('opens only past the period, once', () => {
    expect(faultTransitions(bad, [], 5000 + 60_000, 60_000)).toEqual([]);
    expect(faultTransitions(bad, [], 5001 + 60_000, 60_000)).toEqual([{ type: 'fault', key, since: 5000 }]);
    expect(faultTransitions(bad, [open(5000)], 10 ** 9, 60_000)).toEqual([]);
  });

  it('closes when good again, or when the channel turned bad anew', () => {
    expect(faultTransitions([], [open(5000)], 10 ** 9, 60_000)).toEqual([{ type: 'fault_back', alert: open(5000) }]);
    expect(faultTransitions([{ name: faultCursor(key), value: 9000 }], [open(5000)], 9001, 60_000)).toEqual([{ type: 'fault_back', alert: open(5000) }]);
  });
});

describe('alerts.deviceFaultAfterMinutes', () => {
  it('defaults to 10 min and is checked with its path', () => {
    expect(alertsConfigSchema.parse({}).deviceFaultAfterMinutes).toBe(10);
    const r = alertsConfigSchema.safeParse({ deviceFaultAfterMinutes: -1, deviceFaultSeverity: 'loud' });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['deviceFaultAfterMinutes', 'deviceFaultSeverity']);
  });
});
