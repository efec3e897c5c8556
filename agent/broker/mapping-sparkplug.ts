/**
 * Sparkplug B edge nodes (Eclipse Sparkplug 3.0) → channel values (issue 17 §5).
 *
 * Topics `spBv1.0/<group>/<type>/<node>[/<device>]` (§4.1.1). Per edge node the state a host
 * application keeps (§5): the bdSeq of its session (NBIRTH's `bdSeq` metric, matched by the
 * NDEATH its Will carries, §5.2), the last `seq` (0–255, +1 per message from NBIRTH on, §5.3)
 * and the name and datatype of every alias its NBIRTH and DBIRTHs declared (§6.4.4: DATA messages
 * may carry aliases only, and no datatype). A gap in seq, or an NBIRTH whose bdSeq is not the next,
 * is counted: messages were lost between the node and here. A DATA metric whose alias no BIRTH of
 * the current session declared cannot be named or typed: it is dropped and counted, and the whole
 * message is `unknown_alias` when nothing in it could be read (a DDATA before its DBIRTH).
 */

import type { Decoded } from './mapping-decode.ts';
import type { SparkplugMappingConfig, ValueTransform } from './mapping-schema.ts';
import { decodeSparkplug, type SpbMetric } from './mapping-sparkplug-codec.ts';
import { fillTemplate } from './mapping-topic.ts';
import { type MappedValue, scaled } from './mapping-values.ts';

export const SPARKPLUG_NAMESPACE = 'spBv1.0';
/** Message types whose payloads are the node's data; NCMD, DCMD and STATE are for others. */
export const SPARKPLUG_DATA_TYPES = ['NBIRTH', 'NDATA', 'NDEATH', 'DBIRTH', 'DDATA', 'DDEATH'] as const;
export type SparkplugType = (typeof SPARKPLUG_DATA_TYPES)[number];

export interface SparkplugTopic {
  readonly group: string;
  readonly type: SparkplugType;
  readonly node: string;
  /** Only for D* types. */
  readonly device: string | undefined;
}

/** The parts of a Sparkplug data topic, or undefined for any other topic (commands, STATE, other namespaces). */
export function parseSparkplugTopic(topic: string): SparkplugTopic | undefined {
  const [ns, group, type, node, device, ...rest] = topic.split('/');
  if (ns !== SPARKPLUG_NAMESPACE || group === undefined || node === undefined || rest.length > 0) return undefined;
  if (!(SPARKPLUG_DATA_TYPES as readonly string[]).includes(type ?? '')) return undefined;
  const isDevice = (type as string).startsWith('D');
  if (isDevice !== (device !== undefined) || group === '' || node === '' || device === '') return undefined;
  return { group, type: type as SparkplugType, node, device };
}

interface Known {
  readonly name: string;
  readonly datatype: number | undefined;
}

interface NodeSession {
  bdSeq: number | undefined;
  lastSeq: number | undefined;
  /** `<device>\0<alias>` and `<device>\0#<name>` (device '' for the node) → name and datatype. */
  readonly known: Map<string, Known>;
}

export interface SparkplugCounts {
  /** Messages whose seq was not the previous one + 1 (mod 256). */
  seqGaps: number;
  /** NBIRTHs whose bdSeq was not the previous session's + 1 (mod 256). */
  bdSeqGaps: number;
  /** DATA metrics dropped: alias not declared by a BIRTH of the session. */
  unknownMetrics: number;
  /** Sessions ended by their NDEATH (published by the node, or its Will by the broker). */
  deaths: number;
}

export type SparkplugDecoded = Decoded & { readonly device?: string };

/** Metrics a node sends about its session and commands, not measurements (§6.4.7, §6.4.8). */
const CONTROL = /^(?:bdSeq$|Node Control\/|Device Control\/|Properties\/)/;
const NOT_A_NAME_CHAR = /[^A-Za-z0-9_.-]/g;

/** One Sparkplug mapping's view of its edge nodes. */
export class SparkplugState {
  readonly counts: SparkplugCounts = { seqGaps: 0, bdSeqGaps: 0, unknownMetrics: 0, deaths: 0 };
  private readonly sessions = new Map<string, NodeSession>();
  private readonly byName: Map<string, SparkplugMappingConfig['metrics'][number]>;

  constructor(private readonly config: SparkplugMappingConfig) {
    this.byName = new Map(config.metrics.map((m) => [m.name, m]));
  }

  /** Whether this mapping takes the topic (group and node filters). */
  accepts(t: SparkplugTopic): boolean {
    return (this.config.group === '+' || this.config.group === t.group) && (this.config.node === '+' || this.config.node === t.node);
  }

  /** Edge nodes whose session is known. */
  nodes(): number {
    return this.sessions.size;
  }

  handle(t: SparkplugTopic, payload: Buffer, now: number): SparkplugDecoded {
    const p = decodeSparkplug(payload);
    if (p === undefined) return { ok: false, reason: 'bad_sparkplug' };
    const key = `${t.group}/${t.node}`;
    let s = this.sessions.get(key);
    if (t.type === 'NDEATH') {
      // A Will from an older session (its bdSeq is not this session's) says nothing about this one.
      const bdSeq = metricNumber(p.metrics.find((m) => m.name === 'bdSeq'));
      if (s !== undefined && (bdSeq === undefined || s.bdSeq === undefined || bdSeq === s.bdSeq)) {
        if (s.lastSeq !== undefined || s.known.size > 0) this.counts.deaths++;
        s.known.clear();
        s.lastSeq = undefined;
      }
      return { ok: true, values: [], missing: 0 };
    }
    if (t.type === 'NBIRTH') {
      const bdSeq = metricNumber(p.metrics.find((m) => m.name === 'bdSeq'));
      if (s !== undefined && s.bdSeq !== undefined && bdSeq !== undefined && bdSeq !== (s.bdSeq + 1) % 256) this.counts.bdSeqGaps++;
      s = { bdSeq: bdSeq ?? s?.bdSeq, lastSeq: undefined, known: new Map() };
      this.sessions.set(key, s);
    } else if (s === undefined) {
      s = { bdSeq: undefined, lastSeq: undefined, known: new Map() };
      this.sessions.set(key, s);
    }
    if (p.seq !== undefined) {
      if (s.lastSeq !== undefined && p.seq !== (s.lastSeq + 1) % 256) this.counts.seqGaps++;
      s.lastSeq = p.seq;
    }
    const scope = t.device ?? '';
    if (t.type === 'DDEATH') return { ok: true, values: [], missing: 0 };
    const birth = t.type === 'NBIRTH' || t.type === 'DBIRTH';
    if (t.type === 'DBIRTH') for (const k of [...s.known.keys()]) if (k.startsWith(`${scope}\u0000`)) s.known.delete(k);
    const values: MappedValue[] = [];
    let missing = 0;
    let unknown = 0;
    for (const m of p.metrics) {
      let name = m.name;
      let datatype = m.datatype;
      if (birth && name !== undefined) {
        const entry = { name, datatype };
        if (m.alias !== undefined) s.known.set(`${scope}\u0000${m.alias}`, entry);
        s.known.set(`${scope}\u0000#${name}`, entry);
      } else {
        const known = name !== undefined ? s.known.get(`${scope}\u0000#${name}`) : m.alias !== undefined ? s.known.get(`${scope}\u0000${m.alias}`) : undefined;
        name ??= known?.name;
        datatype ??= known?.datatype;
      }
      if (name === undefined) {
        unknown++;
        continue;
      }
      if (CONTROL.test(name)) continue;
      const target = this.target(name);
      if (target === undefined) continue;
      const ts = m.timestamp ?? p.timestamp ?? now;
      if (m.isNull) {
        missing++;
        if (this.config.missing === 'fault') values.push({ channel: target.channel, value: null, unit: target.unit, quality: 'sensor_fault', ts });
        continue;
      }
      const raw = typedNumber(m.value, datatype);
      if (raw !== undefined) values.push(scaled(target.channel, raw, target, ts));
    }
    this.counts.unknownMetrics += unknown;
    if (unknown > 0 && values.length === 0 && missing === 0) return { ok: false, reason: 'unknown_alias' };
    const captures = { group: t.group, node: t.node, device: t.device ?? '' };
    const device = fillTemplate(t.device === undefined ? this.config.nodeDevice : this.config.device, captures);
    return { ok: true, values, missing, device };
  }

  /** Channel and scaling of a metric, or undefined when the mapping skips it. */
  private target(name: string): (ValueTransform & { channel: string }) | undefined {
    const listed = this.byName.get(name);
    if (listed !== undefined) return listed;
    if (this.config.otherMetrics === 'skip') return undefined;
    return { channel: name.replace(NOT_A_NAME_CHAR, '_').slice(0, 64), unit: '', scale: 1, offset: 0 };
  }
}

/** A metric's number by Sparkplug DataType (§6.4.16); undefined for strings, datasets, templates, bytes. */
export function typedNumber(value: SpbMetric['value'], datatype: number | undefined): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' || value === undefined) return undefined;
  switch (datatype) {
    case 1: // Int8, Int16, Int32: two's complement in the uint32 intValue
    case 2:
    case 3:
      return typeof value === 'bigint' ? Number(BigInt.asIntN(32, value)) : value | 0;
    case 4: // Int64
      return Number(BigInt.asIntN(64, BigInt(value)));
    case 5: // UInt8, UInt16, UInt32
    case 6:
    case 7:
      return typeof value === 'bigint' ? Number(BigInt.asUintN(32, value)) : value >>> 0;
    case 8: // UInt64, DateTime
    case 13:
      return Number(BigInt.asUintN(64, BigInt(value)));
    case 9: // Float, Double
    case 10:
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    case 11: // Boolean
      return Number(value) === 0 ? 0 : 1;
    case undefined:
      return typeof value === 'bigint' ? Number(value) : Number.isFinite(value) ? value : undefined;
    default:
      return undefined;
  }
}

function metricNumber(m: SpbMetric | undefined): number | undefined {
  return m === undefined || m.isNull ? undefined : typedNumber(m.value, m.datatype);
}
