/**
 * A realistic The Things Stack v3 uplink message (the `as.up.data.forward` event body a webhook
 * posts): identifiers, correlation ids, the payload both raw (frm_payload, base64) and decoded by
 * the application's formatter, and what one or two gateways heard (rx_metadata). Field names as
 * TTS v3 writes them in JSON (snake_case; zero values omitted, as protobuf JSON does).
 */
import { createHash } from 'node:crypto';
import type { FlowmeterReading } from './flowmeter.ts';

export interface TtsDevice {
  readonly deviceId: string;
  readonly devEui: string;
  readonly applicationId: string;
}

export interface UplinkInput {
  readonly device: TtsDevice;
  readonly fCnt: number;
  /** When the device transmitted, ms: gateways stamp it (GPS time), the network server receives it a little later. */
  readonly at: number;
  readonly reading: FlowmeterReading;
  /** 1 or 2 gateways heard it. */
  readonly gateways: readonly string[];
  /** Omit decoded_payload fields (a formatter that failed on part of the payload). */
  readonly omit?: readonly (keyof FlowmeterReading)[];
}

/** The frame the device sends (f_port 2): flow L/s ×1000 (uint32 BE), totalizer m³ ×1000 (uint48 BE), level m ×100 (uint16 BE). */
export function encodeFrame(r: FlowmeterReading): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(Math.round(r.flow * 1000), 0);
  b.writeUIntBE(Math.round(r.totalizer * 1000), 4, 6);
  b.writeUInt16BE(Math.round(r.level * 100), 10);
  return b;
}

/** TTS writes nanoseconds: the ms, then 6 more digits. */
const iso = (ms: number): string => new Date(ms).toISOString().replace('Z', '456789Z');

export function ttsUplink(u: UplinkInput): Record<string, unknown> {
  const nsReceived = u.at + 180;
  const correlation = createHash('sha256').update(`${u.device.deviceId}:${u.fCnt}:${u.at}`).digest('hex').slice(0, 26).toUpperCase();
  const decoded: Record<string, number> = { flow: u.reading.flow, totalizer: u.reading.totalizer, level: u.reading.level };
  for (const k of u.omit ?? []) delete decoded[k];
  const uplink: Record<string, unknown> = {
    session_key_id: 'AYz2fJ6mNQ3k1N4fJcXbZg==',
    f_port: 2,
    frm_payload: encodeFrame(u.reading).toString('base64'),
    decoded_payload: decoded,
    rx_metadata: u.gateways.map((g, i) => ({
      gateway_ids: { gateway_id: g, eui: `B827EBFFFE${(0x10_00_00 + i).toString(16).toUpperCase()}` },
      time: iso(u.at + i),
      timestamp: 2_805_391_244 + i * 11,
      rssi: -97 - 9 * i,
      channel_rssi: -97 - 9 * i,
      snr: 7.25 - 4 * i,
      location: { latitude: -33.4489, longitude: -70.6693, altitude: 570, source: 'SOURCE_REGISTRY' },
      uplink_token: Buffer.from(`${g}:${u.fCnt}`).toString('base64'),
      received_at: iso(u.at + 40 + i),
    })),
    settings: {
      data_rate: { lora: { bandwidth: 125_000, spreading_factor: 9, coding_rate: '4/5' } },
      frequency: '916800000',
      timestamp: 2_805_391_244,
      time: iso(u.at),
    },
    received_at: iso(nsReceived),
    consumed_airtime: '0.246784s',
    network_ids: { net_id: '000013', tenant_id: 'ttn', cluster_id: 'au1', cluster_address: 'au1.cloud.thethings.network' },
  };
  if (u.fCnt !== 0) uplink['f_cnt'] = u.fCnt;
  return {
    end_device_ids: {
      device_id: u.device.deviceId,
      application_ids: { application_id: u.device.applicationId },
      dev_eui: u.device.devEui,
      join_eui: '0000000000000000',
      dev_addr: '260C4F1A',
    },
    correlation_ids: [`as:up:${correlation}`, `gs:uplink:${correlation}`, `ns:uplink:${correlation}`, `rpc:/ttn.lorawan.v3.GsNs/HandleUplink:${correlation}`],
    received_at: iso(nsReceived + 20),
    uplink_message: uplink,
  };
}
