import { describe, expect, it } from 'vitest';
import { MODBUS_EXCEPTION, MODBUS_TIMEOUT, ModbusError } from '../../agent/modbus/errors.ts';
import { DeviceHealth } from '../../agent/modbus/health.ts';
import { type FieldOutcome, round, toRecords } from '../../agent/modbus/readings.ts';
import { BUILTIN_PROFILES } from '../../protocols/profiles/index.ts';
import { PRIORITY } from '../../protocols/records.ts';

const ctx = {
  device: 'd',
  ts: 1_700_000_000_000,
  mono: 5000,
  bootId: 'boot',
  flags: 0,
  params: { sensorDepthM: 85 },
  dgaChannels: new Set(['flow', 'totalizer', 'level']),
};
const ok = (value: number): FieldOutcome => ({ ok: true, value });
const byChannel = (rs: ReturnType<typeof toRecords>) => new Map(rs.map((r) => [r.channel, r]));

describe('records from a poll', () => {
  const flow = BUILTIN_PROFILES.get('flowmeter')!;
  const good = new Map<string, FieldOutcome>([
    ['flow', ok(12.5)],
    ['totalizer', ok(1234.5)],
    ['water_column', ok(30.25)],
    ['empty_pipe', ok(0)],
    ['fault_coil', ok(0)],
    ['fault_level', ok(0)],
    ['reverse_flow', ok(0)],
  ]);

  it('derives the well level from the sensor depth and marks DGA channels', () => {
    const r = byChannel(toRecords(flow, good, ctx));
    expect(r.get('level')).toMatchObject({ value: 54.75, unit: 'm', quality: 'good', priority: PRIORITY.dga });
    expect(r.get('flow')).toMatchObject({ value: 12.5, unit: 'L/s', quality: 'good', priority: PRIORITY.dga });
    expect(r.get('water_column')!.priority).toBe(PRIORITY.ordinary);
    expect(r.get('reverse_flow')).toMatchObject({ value: 0, quality: 'good' });
    expect(r.size).toBe(3 + 1 + 4);
  });

  it('marks channels of a set fault bit sensor_fault, the level with its source', () => {
    const faulty = new Map(good).set('fault_level', ok(1));
    const r = byChannel(toRecords(flow, faulty, ctx));
    expect(r.get('water_column')!.quality).toBe('sensor_fault');
    expect(r.get('level')!.quality).toBe('sensor_fault');
    expect(r.get('flow')!.quality).toBe('good');
  });

  it('flags out-of-range and non-finite values', () => {
    const wild = new Map(good).set('flow', ok(5000)).set('water_column', ok(Number.NaN));
    const r = byChannel(toRecords(flow, wild, ctx));
    expect(r.get('flow')).toMatchObject({ value: 5000, quality: 'out_of_range' });
    expect(r.get('water_column')).toMatchObject({ value: null, quality: 'out_of_range' });
    expect(r.get('level')!.value).toBeNull();
  });

  it('gives every channel a record with the reason when the device did not answer', () => {
    const gas = BUILTIN_PROFILES.get('gas-detector')!;
    const timeout = new ModbusError(MODBUS_TIMEOUT, 't');
    const exc = new ModbusError(MODBUS_EXCEPTION, 'e', { exception: 2 });
    const none = new Map<string, FieldOutcome>(gas.channels.map((c) => [c.key, { ok: false, error: c.key === 'co' ? exc : timeout }]));
    const r = byChannel(toRecords(gas, none, ctx));
    expect(r.get('ch4')).toMatchObject({ value: null, quality: 'comm_error', exception: null });
    expect(r.get('co')).toMatchObject({ value: null, quality: 'exception', exception: 2 });
    expect(r.get('alarm_1')).toMatchObject({ value: null, quality: 'comm_error' });
  });

  it('rounds to the channel resolution', () => {
    expect(round(12.300000000000001, 0.1)).toBe(12.3);
    expect(round(0.1 + 0.2, 0.01)).toBe(0.3);
    expect(round(7, 1)).toBe(7);
  });
});

describe('device back-off', () => {
  const policy = { failuresBeforeBackoff: 3, initialMs: 1000, maxMs: 5000 };

  it('backs off after N failures, doubles per failed probe up to the cap, resets on an answer', () => {
    const h = new DeviceHealth(policy);
    expect(h.failed('T')).toBeNull();
    expect(h.failed('T')).toBeNull();
    expect(h.state).toBe('failing');
    expect(h.failed('T')).toBe(1000);
    expect(h.failed('T')).toBe(2000);
    expect(h.failed('T')).toBe(4000);
    expect(h.failed('T')).toBe(5000);
    expect(h.state).toBe('backoff');
    h.answered(12, 0);
    expect(h.state).toBe('ok');
    expect(h.failed('T')).toBeNull();
  });
});
