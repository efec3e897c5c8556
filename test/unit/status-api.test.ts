import { afterEach, describe, expect, it } from 'vitest';
import { MODBUS_EXCEPTION, MODBUS_TIMEOUT, ModbusError } from '../../agent/modbus/errors.ts';
import { encodeRaw } from '../../protocols/modbus/decode.ts';
import { PRIORITY } from '../../protocols/records.ts';
import { bearer, type Fixture, NOW, startFixture } from './status-setup.ts';

describe('status JSON APIs over fake sources', () => {
  let f: Fixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });
  const get = (url: string) => f!.server.app!.inject({ method: 'GET', url, headers: bearer });
  const post = (url: string, payload: object) => f!.server.app!.inject({ method: 'POST', url, headers: bearer, payload });

  it('overview: gateway, system, buffer; no store on the response', async () => {
    f = await startFixture();
    f.buffer.commit({ device: 'gas', channel: 'ch4' });
    const r = await get('/api/overview');
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    const o = r.json();
    expect(o.gateway).toMatchObject({ id: 'gw-unit', bootId: 'boot-1', clockSynced: true, now: NOW, startedAt: NOW, uptimeS: 0 });
    expect(o.gateway.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(o.system.memTotalBytes).toBeGreaterThan(0);
    expect(o.system.memAvailableBytes).toBeGreaterThan(0);
    expect(o.system.rssBytes).toBeGreaterThan(0);
    expect(o.system.disk).toMatchObject({ path: f.dir });
    expect(o.system.disk.totalBytes).toBeGreaterThanOrEqual(o.system.disk.freeBytes);
    expect(o.buffer).toMatchObject({ count: 1, lastSeq: 1, evicted: { ordinary: 0, dga: 0, alarm: 0 } });
    expect(o).toMatchObject({ sync: null, mqtt: null, paging: null });
  });

  it('devices: configured Modbus devices with health first, MQTT-only devices after, latest value per channel', async () => {
    f = await startFixture();
    f.health.answered(12, NOW - 1000);
    f.health.failed('ATALAYA_MODBUS_TIMEOUT');
    f.buffer.commit({ device: 'det-9', channel: 'o2', value: 20.9, unit: '%vol' }, { device: 'gas', channel: 'ch4', value: 3, ts: NOW - 2000 });
    f.buffer.commit(
      { device: 'gas', channel: 'ch4', value: 4, quality: 'good', ts: NOW - 1500 },
      { device: 'gas', channel: 'co', value: null, quality: 'exception', exception: 2 },
    );
    const { devices } = (await get('/api/devices')).json();
    expect(devices.map((d: { id: string }) => d.id)).toEqual(['gas', 'det-9']);
    expect(devices[0]).toMatchObject({
      profile: 'gas-detector',
      transport: 'tcp',
      address: '10.0.0.5:502',
      unitId: 3,
      intervalMs: 1000,
      health: { state: 'failing', polls: 2, goodPolls: 1, successRate: 0.5, lastLatencyMs: 12, lastErrorCode: 'ATALAYA_MODBUS_TIMEOUT', lastOkAt: NOW - 1000 },
    });
    expect(devices[0].channels).toEqual([
      { channel: 'ch4', value: 4, unit: 'u', quality: 'good', exception: null, ts: NOW - 1500, ageMs: 1500, seq: 3 },
      { channel: 'co', value: null, unit: 'u', quality: 'exception', exception: 2, ts: NOW - 500, ageMs: 500, seq: 4 },
    ]);
    expect(devices[1]).toMatchObject({
      profile: null,
      transport: 'mqtt',
      address: null,
      unitId: null,
      intervalMs: null,
      health: null,
      channels: [{ channel: 'o2', value: 20.9 }],
    });
  });

  it('series: readings since start, null values skipped; 404 for an unknown channel, 400 without parameters', async () => {
    f = await startFixture();
    f.buffer.commit({ device: 'gas', channel: 'ch4', value: 1, ts: 1000 }, { device: 'gas', channel: 'ch4', value: null, quality: 'comm_error', ts: 2000 });
    f.buffer.commit({ device: 'gas', channel: 'ch4', value: 3, ts: 3000 }, { device: 'gas', channel: 'ch4', value: 4, kind: 'alarm', ts: 3000 });
    const r = await get('/api/series?device=gas&channel=ch4');
    expect(r.json()).toEqual({
      device: 'gas',
      channel: 'ch4',
      unit: 'u',
      points: [
        [1000, 1],
        [3000, 3],
      ],
    });
    expect((await get('/api/series?device=gas&channel=nope')).statusCode).toBe(404);
    expect((await get('/api/series?device=gas')).json()).toMatchObject({ error: 'bad_request' });
  });

  it('alarms: active from the engine, recent alarm records newest first', async () => {
    f = await startFixture();
    const alarm = (rule: string, state: 'raised' | 'cleared') => ({
      device: 'gas',
      channel: 'ch4',
      kind: 'alarm' as const,
      priority: PRIORITY.alarm,
      alarm: { rule, level: 'warning' as const, state, threshold: 10 },
    });
    f.buffer.commit(alarm('high1', 'raised'), { device: 'gas', channel: 'ch4' }, alarm('high2', 'raised'));
    f.active = [{ device: 'gas', channel: 'ch4', rule: 'high1', level: 'warning', threshold: 10, state: 'raised', latched: false, value: 12, ts: 1 }];
    const r = (await get('/api/alarms')).json();
    expect(r.active).toEqual(f.active);
    expect(r.recent.map((x: { seq: number; alarm: { rule: string } }) => `${x.seq}:${x.alarm.rule}`)).toEqual(['3:high2', '1:high1']);
  });

  it('ack: 200 for an active unacknowledged alarm, 404 otherwise, 400 for a malformed body', async () => {
    f = await startFixture();
    f.active = [{ device: 'gas', channel: 'ch4', rule: 'high1', level: 'warning', threshold: 10, state: 'raised', latched: false, value: 12, ts: 1 }];
    const ok = await post('/api/alarms/ack', { device: 'gas', channel: 'ch4', rule: 'high1' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ acknowledged: true });
    expect(f.acked).toEqual(['gas/ch4/high1']);
    const missing = await post('/api/alarms/ack', { device: 'gas', channel: 'ch4', rule: 'high2' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'not_found' });
    expect((await post('/api/alarms/ack', { device: 'gas', channel: 'ch4' })).statusCode).toBe(400);
    expect((await post('/api/alarms/ack', { device: 'gas', channel: 'ch4', rule: 'high1', extra: 1 })).statusCode).toBe(400);
  });

  it("inspect: reads the range on the device's unit and decodes every word order", async () => {
    f = await startFixture();
    const words = [...encodeRaw(12.5, 'float32', 'CDAB'), 0xfffe];
    const calls: unknown[] = [];
    f.read = async (unit, table, address, count) => {
      calls.push([unit, table, address, count]);
      return words;
    };
    const r = await post('/api/inspect', { device: 'gas', table: 'input', address: 100, count: 3 });
    expect(r.statusCode).toBe(200);
    expect(calls).toEqual([[3, 'input', 100, 3]]);
    const body = r.json();
    expect(body).toMatchObject({ device: 'gas', table: 'input', address: 100, count: 3, registers: words });
    expect(body.rows.map((x: { address: number }) => x.address)).toEqual([100, 101, 102]);
    expect(body.rows[0].float32.CDAB).toBe(12.5);
    expect(body.rows[0].float32.ABCD).not.toBe(12.5);
    expect(body.rows[2]).toEqual({ address: 102, int16: -2, uint16: 0xfffe, hex: '0xfffe', float32: null, int32: null, uint32: null });
    expect(body.rows[1].hex).toMatch(/^0x[0-9a-f]{4}$/);
  });

  it('inspect: 404 unknown device, 400 device not on Modbus or bad range, 502 with the Modbus code and exception', async () => {
    f = await startFixture();
    f.buffer.commit({ device: 'det-9', channel: 'o2' });
    const body = (extra: object) => ({ device: 'gas', table: 'holding', address: 0, count: 2, ...extra });
    expect((await post('/api/inspect', body({ device: 'nope' }))).statusCode).toBe(404);
    expect((await post('/api/inspect', body({ device: 'det-9' }))).json()).toMatchObject({ error: 'bad_request' });
    for (const bad of [{ count: 0 }, { count: 126 }, { address: 65535, count: 2 }, { address: -1 }, { table: 'coil' }]) {
      expect((await post('/api/inspect', body(bad))).statusCode, JSON.stringify(bad)).toBe(400);
    }
    f.read = async () => {
      throw new ModbusError(MODBUS_EXCEPTION, 'exception 2', { exception: 2 });
    };
    const ex = await post('/api/inspect', body({}));
    expect(ex.statusCode).toBe(502);
    expect(ex.json()).toMatchObject({ error: 'modbus_error', code: MODBUS_EXCEPTION, exception: 2 });
    f.read = async () => {
      throw new ModbusError(MODBUS_TIMEOUT, 'no answer');
    };
    expect((await post('/api/inspect', body({}))).json()).toMatchObject({ error: 'modbus_error', code: MODBUS_TIMEOUT, exception: null });
  });

  it('metrics: the registry text with its content type', async () => {
    f = await startFixture();
    const r = await get('/metrics');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/plain');
    expect(r.body).toBe('atalaya_test 1\n');
  });

  it('unknown routes answer a JSON 404; stop() unsubscribes from the buffer and is idempotent', async () => {
    f = await startFixture();
    expect((await get('/api/nope')).json()).toMatchObject({ error: 'not_found' });
    expect(f.buffer.listenerCount).toBe(1);
    await f.server.stop();
    await f.server.stop();
    expect(f.buffer.listenerCount).toBe(0);
    expect(f.server.address()).toBeUndefined();
  });
});
