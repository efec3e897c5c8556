/**
 * The Things Stack v3 uplink webhook (issue 17 §2): one uplink message → one source message whose
 * records are the mapped `decoded_payload` fields. The fields read are listed in README.md.
 *
 * Time, one rule: the first `uplink_message.rx_metadata[].time` (the receiving gateway's clock,
 * GPS-disciplined on most outdoor gateways), else `uplink_message.settings.time`, that is within
 * maxGatewaySkewMs before (or 1 s after) the network server's `uplink_message.received_at`; else
 * that `received_at`; else the message's top-level `received_at`. A gateway without a fix reports
 * a wrong or no time: received_at is then the best clock there is.
 *
 * Id: `<device_id>:<f_cnt>` (f_cnt absent means 0: TTS omits zero fields): the same uplink
 * delivered twice (a retried webhook, two clusters over Packet Broker) is stored once. A frame
 * counter that restarted (a rejoin) reuses ids: beyond dedupWindowMs it is a new uplink.
 */
import type { SourceMessage, SourceProblem } from '../store/sources-types.ts';
import type { TtsSourceConfig } from './config.ts';
import { dotPath, fieldRecord, isoMs, type SourceRecord } from './fields.ts';

export interface ParsedUplink {
  readonly messages: SourceMessage[];
  readonly problems: SourceProblem[];
}

const LATE_TOLERANCE_MS = 1000;

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The uplink's time by the rule above. */
export function uplinkTime(up: Record<string, unknown>, topReceivedAt: unknown, maxSkewMs: number): number | undefined {
  const received = isoMs(up['received_at']) ?? isoMs(topReceivedAt);
  if (received === undefined) return undefined;
  const sane = (t: number | undefined): t is number => t !== undefined && t <= received + LATE_TOLERANCE_MS && received - t <= maxSkewMs;
  const rx = Array.isArray(up['rx_metadata']) ? up['rx_metadata'] : [];
  for (const m of rx) {
    const t = isoMs(obj(m)?.['time']);
    if (sane(t)) return t;
  }
  const settings = isoMs(obj(up['settings'])?.['time']);
  return sane(settings) ? settings : received;
}

export function parseUplink(body: unknown, cfg: TtsSourceConfig): ParsedUplink {
  const problems: SourceProblem[] = [];
  const msg = obj(body);
  const ids = obj(msg?.['end_device_ids']);
  const deviceId = ids?.['device_id'];
  if (msg === undefined || typeof deviceId !== 'string' || deviceId === '')
    return { messages: [], problems: [{ reason: 'malformed', detail: 'no end_device_ids.device_id' }] };
  const up = obj(msg['uplink_message']);
  if (up === undefined) return { messages: [], problems: [{ reason: 'not_uplink', detail: deviceId }] };
  const devEui = typeof ids?.['dev_eui'] === 'string' ? (ids['dev_eui'] as string).toLowerCase() : undefined;
  const mapping = cfg.devices.find((d) => d.match === deviceId || (devEui !== undefined && d.match.toLowerCase() === devEui));
  if (mapping === undefined) return { messages: [], problems: [{ reason: 'unknown_device', detail: deviceId }] };
  const fCnt = up['f_cnt'] ?? 0;
  if (typeof fCnt !== 'number' || !Number.isSafeInteger(fCnt) || fCnt < 0)
    return { messages: [], problems: [{ reason: 'malformed', detail: `${deviceId}: f_cnt` }] };
  const ts = uplinkTime(up, msg['received_at'], cfg.maxGatewaySkewMs);
  if (ts === undefined) return { messages: [], problems: [{ reason: 'bad_time', detail: `${deviceId}: received_at` }] };
  const decoded = obj(up['decoded_payload']);
  const records: SourceRecord[] = [];
  if (decoded === undefined) problems.push({ reason: 'missing_field', detail: `${deviceId}: decoded_payload` });
  else
    for (const [field, map] of Object.entries(mapping.fields)) {
      const made = fieldRecord(dotPath(decoded, field), map, { device: mapping.device, ts, field });
      if ('record' in made) records.push(made.record);
      else problems.push(made.problem);
    }
  return { messages: [{ id: `${deviceId}:${fCnt}`, at: ts, dedupWindowMs: cfg.dedupWindowMs, records }], problems };
}
