/**
 * The Things Stack v3 uplinks (cloud/providers/tts.ts, issue 17 §2) as the TTS simulator writes
 * them: the mapped decoded fields, the one time rule, the id that makes a redelivery one message,
 * and each bad input counted with its reason while the rest of the message is kept.
 */
import { describe, expect, it } from 'vitest';
import { sourceConfigSchema, type TtsSourceConfig } from '../../cloud/providers/config.ts';
import { parseUplink, uplinkTime } from '../../cloud/providers/tts.ts';
import { ttsUplink } from '../../simulators/providers/tts-uplink.ts';

const cfg = sourceConfigSchema.parse({
  id: 'ttn',
  kind: 'tts',
  devices: [
    {
      match: '70B3D57ED0055A01',
      device: 'pozo-lora',
      fields: {
        flow: { channel: 'flow', unit: 'L/s' },
        totalizer: { channel: 'totalizer', unit: 'm3' },
        level: { channel: 'level', unit: 'm', scale: 100, offset: 0.5 },
      },
    },
  ],
}) as TtsSourceConfig;

const device = { deviceId: 'caudalimetro-norte', devEui: '70B3D57ED0055A01', applicationId: 'pozos' };
const AT = Date.parse('2026-12-07T10:00:00.250Z');
const reading = { flow: 12.345, totalizer: 48210.5, level: 27.31 };

describe('TTS uplink → source message', () => {
  it("maps decoded_payload fields (dev_eui matched, scale and offset) at the first gateway's time, id device:f_cnt", () => {
    const { messages, problems } = parseUplink(ttsUplink({ device, fCnt: 41, at: AT, reading, gateways: ['gw-a', 'gw-b'] }), cfg);
    expect(problems).toEqual([]);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ id: 'caudalimetro-norte:41', at: AT, dedupWindowMs: cfg.dedupWindowMs });
    expect(messages[0]?.records.map((r) => [r.device, r.channel, r.value, r.unit, r.quality, r.ts])).toEqual([
      ['pozo-lora', 'flow', 12.345, 'L/s', 'good', AT],
      ['pozo-lora', 'totalizer', 48210.5, 'm3', 'good', AT],
      ['pozo-lora', 'level', 27.31 * 100 + 0.5, 'm', 'good', AT],
    ]);
  });

  it('reads an omitted f_cnt as 0, as TTS omits zero fields', () => {
    expect(parseUplink(ttsUplink({ device, fCnt: 0, at: AT, reading, gateways: ['gw-a'] }), cfg).messages[0]?.id).toBe('caudalimetro-norte:0');
  });

  it('time: a gateway time off by more than maxGatewaySkewMs is skipped for settings.time, and both for received_at', () => {
    const received = '2026-12-07T10:00:01.000Z';
    const base = { received_at: received, settings: { time: '2026-12-07T10:00:00.500Z' } };
    expect(uplinkTime({ ...base, rx_metadata: [{ time: '2026-12-07T10:00:00.400Z' }] }, undefined, 60_000)).toBe(Date.parse('2026-12-07T10:00:00.400Z'));
    // A gateway without a GPS fix: its clock says 1970, or the future.
    expect(uplinkTime({ ...base, rx_metadata: [{ time: '1970-01-01T00:00:00Z' }, { time: '2026-12-07T11:00:00Z' }] }, undefined, 60_000)).toBe(
      Date.parse('2026-12-07T10:00:00.500Z'),
    );
    expect(uplinkTime({ received_at: received, settings: { time: '2026-12-06T10:00:00Z' }, rx_metadata: [{}] }, undefined, 60_000)).toBe(Date.parse(received));
    expect(uplinkTime({}, received, 60_000)).toBe(Date.parse(received));
    expect(uplinkTime({}, undefined, 60_000)).toBeUndefined();
  });

  it('a field missing from decoded_payload is counted; the other fields are kept', () => {
    const { messages, problems } = parseUplink(ttsUplink({ device, fCnt: 7, at: AT, reading, gateways: ['gw-a'], omit: ['totalizer'] }), cfg);
    expect(messages[0]?.records.map((r) => r.channel)).toEqual(['flow', 'level']);
    expect(problems).toEqual([{ reason: 'missing_field', detail: 'pozo-lora: totalizer' }]);
  });

  it('an unknown device, a message without device ids, a non-uplink and a non-number are each counted by reason', () => {
    const other = ttsUplink({ device: { ...device, deviceId: 'otro', devEui: '0000000000000001' }, fCnt: 1, at: AT, reading, gateways: ['gw-a'] });
    expect(parseUplink(other, cfg)).toEqual({ messages: [], problems: [{ reason: 'unknown_device', detail: 'otro' }] });
    expect(parseUplink([1, 2], cfg).problems).toEqual([{ reason: 'malformed', detail: 'no end_device_ids.device_id' }]);
    expect(parseUplink({ end_device_ids: { device_id: 'x' }, join_accept: {} }, cfg).problems).toEqual([{ reason: 'not_uplink', detail: 'x' }]);
    const text = ttsUplink({ device, fCnt: 2, at: AT, reading, gateways: ['gw-a'] }) as { uplink_message: { decoded_payload: Record<string, unknown> } };
    text.uplink_message.decoded_payload['flow'] = 'n/a';
    expect(parseUplink(text, cfg).problems).toEqual([{ reason: 'not_a_number', detail: 'pozo-lora: flow' }]);
  });
});
