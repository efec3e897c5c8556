/**
 * Sparkplug B payloads as an edge node sends them (Eclipse Sparkplug 3.0 §6.4), encoded with the
 * `sparkplug-payload` package: BIRTHs with names, aliases and datatypes through its encoder; DATA
 * with aliases only and no datatype (§6.4.18: the datatype is sent in the BIRTH) through its
 * protobuf layer, since its encoder always writes one.
 */

import { encodePayload, type TypeStr } from 'sparkplug-payload/lib/sparkplugbpayload.js';
import spb from 'sparkplug-payload/lib/sparkplugPayloadProto.js';

const { Payload } = spb.org.eclipse.tahu.protobuf;

export interface BirthMetric {
  readonly name: string;
  readonly alias: number;
  readonly type: Extract<TypeStr, 'Float' | 'Double' | 'Int32' | 'UInt32' | 'Int64' | 'UInt64' | 'Boolean'>;
  readonly value: number | boolean | null;
}

/** NBIRTH (seq 0, with the session's bdSeq) or DBIRTH: every metric with name, alias and datatype. */
export function birthPayload(o: { timestamp: number; seq: number; bdSeq?: number; metrics: readonly BirthMetric[] }): Uint8Array {
  const metrics = o.metrics.map((m) => ({ name: m.name, alias: m.alias, type: m.type, value: m.value, timestamp: o.timestamp }));
  // §6.4.8: bdSeq is an Int64 metric of the NBIRTH, and of the NDEATH (the Will) of the same session.
  if (o.bdSeq !== undefined) metrics.unshift({ name: 'bdSeq', type: 'Int64', value: o.bdSeq } as (typeof metrics)[number]);
  return encodePayload({ timestamp: o.timestamp, seq: o.seq, metrics });
}

/** NDEATH: only the bdSeq of the session it ends, no seq (§6.4.8). */
export function deathPayload(bdSeq: number): Uint8Array {
  return encodePayload({ metrics: [{ name: 'bdSeq', type: 'Int64', value: bdSeq }] });
}

export interface DataMetric {
  readonly alias: number;
  /** The BIRTH's datatype decides the field: Float/Double/Boolean, else an integer. */
  readonly type: BirthMetric['type'];
  /** null: is_null (§6.4.4), e.g. a sensor that failed. */
  readonly value: number | boolean | null;
  readonly timestamp?: number;
}

/** NDATA/DDATA with aliases only: no names, no datatypes. */
export function dataPayload(o: { timestamp: number; seq: number; metrics: readonly DataMetric[] }): Uint8Array {
  const metrics = o.metrics.map((m) => {
    const base: Record<string, unknown> = { alias: m.alias, ...(m.timestamp !== undefined ? { timestamp: m.timestamp } : {}) };
    if (m.value === null) return { ...base, isNull: true };
    if (m.type === 'Float') return { ...base, floatValue: Number(m.value) };
    if (m.type === 'Double') return { ...base, doubleValue: Number(m.value) };
    if (m.type === 'Boolean') return { ...base, booleanValue: Boolean(m.value) };
    if (m.type === 'Int64' || m.type === 'UInt64') return { ...base, longValue: Number(m.value) };
    // Int32 in two's complement in the uint32 intValue (§6.4.16).
    return { ...base, intValue: Number(m.value) >>> 0 };
  });
  return Payload.encode(Payload.create({ timestamp: o.timestamp, seq: o.seq, metrics })).finish();
}
