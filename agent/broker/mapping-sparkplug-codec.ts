/**
 * Sparkplug B payloads (Eclipse Sparkplug 3.0 §6.4, the protobuf `Payload`), decoded with the
 * maintained `sparkplug-payload` package (Eclipse Tahu). Its protobuf layer is used rather than
 * its `decodePayload`: that one reads a metric's value by the metric's own datatype, which a DATA
 * message should not carry (§6.4.18: the datatype is sent in the BIRTH), so it would return null
 * for every metric of a conforming DDATA. Here the value is kept as sent, and typed later with
 * the BIRTH's datatype (mapping-sparkplug.ts).
 */

import { createRequire } from 'node:module';
import type { encodePayload as EncodePayload } from 'sparkplug-payload/lib/sparkplugbpayload.js';
import type spbProto from 'sparkplug-payload/lib/sparkplugPayloadProto.js';

/**
 * protobufjs and the generated Sparkplug schema cost ~7 MiB of RSS once loaded: loaded on the
 * first Sparkplug message, so an agent without a sparkplug-b mapping never pays for them.
 */
const load = createRequire(import.meta.url);
let codec: { readonly Payload: typeof spbProto.org.eclipse.tahu.protobuf.Payload; readonly encodePayload: typeof EncodePayload } | undefined;
function sparkplug(): NonNullable<typeof codec> {
  codec ??= {
    Payload: (load('sparkplug-payload/lib/sparkplugPayloadProto.js') as typeof spbProto).org.eclipse.tahu.protobuf.Payload,
    encodePayload: (load('sparkplug-payload/lib/sparkplugbpayload.js') as { encodePayload: typeof EncodePayload }).encodePayload,
  };
  return codec;
}
type Payload = typeof spbProto.org.eclipse.tahu.protobuf.Payload;

/** A protobuf 64-bit integer as protobufjs hands it: a Long-like object, or a number. */
interface LongBits {
  readonly low: number;
  readonly high: number;
}

export interface SpbMetric {
  readonly name: string | undefined;
  readonly alias: number | undefined;
  readonly timestamp: number | undefined;
  /** Sparkplug DataType code (§6.4.16), when the metric carries one. */
  readonly datatype: number | undefined;
  readonly isNull: boolean;
  /** The value field that was set: intValue as a number (uint32 on the wire), longValue as a bigint. */
  readonly value: number | bigint | boolean | string | undefined;
}

export interface SpbPayload {
  readonly timestamp: number | undefined;
  readonly seq: number | undefined;
  readonly metrics: readonly SpbMetric[];
}

/** The payload, or undefined when it is not a Sparkplug B protobuf. */
export function decodeSparkplug(payload: Buffer): SpbPayload | undefined {
  let p: ReturnType<Payload['decode']>;
  try {
    p = sparkplug().Payload.decode(payload);
  } catch {
    return undefined;
  }
  const has = (o: object, key: string): boolean => Object.hasOwn(o, key);
  return {
    timestamp: has(p, 'timestamp') ? toNumber(p.timestamp) : undefined,
    seq: has(p, 'seq') ? toNumber(p.seq) : undefined,
    metrics: p.metrics.map((m) => ({
      // Absent fields read as the prototype's defaults ('' and 0): only what was sent counts.
      name: has(m, 'name') ? (m.name ?? undefined) : undefined,
      alias: has(m, 'alias') ? toNumber(m.alias) : undefined,
      timestamp: has(m, 'timestamp') ? toNumber(m.timestamp) : undefined,
      datatype: has(m, 'datatype') ? (m.datatype ?? undefined) : undefined,
      isNull: m.isNull === true,
      value: setValue(m),
    })),
  };
}

type ProtoMetric = ReturnType<Payload['decode']>['metrics'][number];

/** The value field that was set (the `value` oneof, §6.4.4). */
function setValue(m: ProtoMetric): SpbMetric['value'] {
  // protobufjs' oneof getter: the name of the field that is set.
  switch ((m as { value?: string }).value) {
    case 'intValue':
      return m.intValue ?? undefined;
    case 'longValue':
      return toBigInt(m.longValue);
    case 'floatValue':
      return m.floatValue ?? undefined;
    case 'doubleValue':
      return m.doubleValue ?? undefined;
    case 'booleanValue':
      return m.booleanValue ?? undefined;
    case 'stringValue':
      return m.stringValue ?? undefined;
    default:
      return undefined;
  }
}

function toBigInt(v: number | LongBits | null | undefined): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
}

/** An unsigned 64-bit field as a number (exact below 2^53: timestamps, seq, aliases). */
export function toNumber(v: number | LongBits | null | undefined): number {
  return Number(BigInt.asUintN(64, toBigInt(v)));
}

/** An NCMD asking an edge node for its BIRTHs again (§6.4.7 `Node Control/Rebirth`). */
export function rebirthCommand(now: number): Buffer {
  return Buffer.from(sparkplug().encodePayload({ timestamp: now, metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] }));
}
