import type { Clock } from '../../protocols/clock.ts';
import type { NewRecord } from '../../protocols/records.ts';
import { newRecordProblem } from '../../protocols/records-check.ts';
import { USERNAME_PATTERN } from './acl.ts';
import { invalidOptions } from './errors.ts';
import type { IngestOutcome, PayloadReason, RecordSink } from './ingest.ts';
import { type CompiledJson, compileJson, type Decoded, decodeJson, decodeNumber, type MappingReason } from './mapping-decode.ts';
import type { MappingConfig, NumberMappingConfig } from './mapping-schema.ts';
import { parseSparkplugTopic, SPARKPLUG_NAMESPACE, type SparkplugCounts, SparkplugState } from './mapping-sparkplug.ts';
import { compileTopicPattern, fillTemplate, matchTopic, type TopicPattern } from './mapping-topic.ts';
import { mappedRecord } from './mapping-values.ts';

export interface MappedIngestOptions {
  readonly mappings: readonly MappingConfig[];
  /** Bytes, see BrokerConfig.maxPayloadBytes. */
  readonly maxPayloadBytes: number;
  readonly sink: RecordSink;
  readonly clock: Clock;
  readonly bootId: string;
  readonly flags: () => number;
  /**
   * Asks a Sparkplug edge node to send its BIRTHs again (an NCMD `Node Control/Rebirth`, Sparkplug
   * 3.0 §6.4.7): called when its DATA named aliases no BIRTH declared, at most once per node per
   * REBIRTH_SPACING_MS.
   */
  readonly requestRebirth?: (group: string, node: string) => void;
}

/** Least spacing of rebirth requests to one edge node, ms: its BIRTHs need a moment to arrive. */
export const REBIRTH_SPACING_MS = 5000;

/** Cumulative counts of one mapping since start (and of `(none)`: claimed topics no mapping matched). */
export interface MappingStats {
  /** Messages stored (their records committed). */
  messages: number;
  records: number;
  /** Mapped values absent from their message (or Sparkplug is_null). */
  missing: number;
  refused: Partial<Record<MappingReason, number>>;
  sparkplug?: SparkplugCounts;
}

/** Key of the counts of messages on a claimed topic that no mapping matches. */
export const NO_MAPPING = '(none)';

/** Per-client refusal reason (counters.ts) of each mapping reason: the broker-wide counts keep their keys. */
const CLIENT_REASON: Record<MappingReason, PayloadReason> = {
  oversized: 'oversized',
  bad_json: 'bad_json',
  bad_number: 'schema',
  bad_sparkplug: 'schema',
  bad_time: 'schema',
  no_values: 'schema',
  bad_name: 'schema',
  unknown_alias: 'schema',
  invalid_record: 'invalid_record',
  no_mapping: 'unknown_topic',
};

type Compiled =
  | { readonly kind: 'json'; readonly name: string; readonly pattern: TopicPattern; readonly device: string; readonly json: CompiledJson }
  | { readonly kind: 'number'; readonly name: string; readonly pattern: TopicPattern; readonly device: string; readonly config: NumberMappingConfig }
  | { readonly kind: 'sparkplug'; readonly name: string; readonly state: SparkplugState };

/**
 * Messages on mapped topics (mqtt.mappings, issue 17 §5) → records in the sink. The first level
 * of every mapping's topic is claimed: messages under it are device input, consumed like
 * `<prefix>/in/` (never routed nor retained), and one that no mapping matches is acknowledged,
 * dropped and counted (`no_mapping`). Under `spBv1.0` only the node's own messages are claimed
 * (BIRTH, DATA, DEATH), so NCMD/DCMD and STATE still reach the nodes and host applications.
 * As for native ingest the returned promise settles once the sink has: the gate holds the PUBACK
 * until then. Messages carry no device seq here: a redelivered message is stored again
 * (at-least-once; README).
 */
export class MappedIngest {
  private readonly compiled: Compiled[];
  private readonly roots = new Set<string>();
  private readonly counts = new Map<string, MappingStats>();
  /** clock.monotonic() of the last rebirth request per `<group>/<node>`. */
  private readonly rebirths = new Map<string, number>();

  constructor(private readonly options: MappedIngestOptions) {
    this.compiled = options.mappings.map((m): Compiled => {
      if (m.format === 'sparkplug-b') {
        this.roots.add(SPARKPLUG_NAMESPACE);
        return { kind: 'sparkplug', name: m.name, state: new SparkplugState(m) };
      }
      const compiled = compileTopicPattern(m.topic);
      // The schema refused patterns that do not compile.
      if (!compiled.ok) throw invalidOptions([`mappings.${m.name}.topic: ${compiled.message}`]);
      if (compiled.pattern.root !== undefined) this.roots.add(compiled.pattern.root);
      return m.format === 'json'
        ? { kind: 'json', name: m.name, pattern: compiled.pattern, device: m.device, json: compileJson(m) }
        : { kind: 'number', name: m.name, pattern: compiled.pattern, device: m.device, config: m };
    });
    for (const c of this.compiled) this.counts.set(c.name, newStats(c));
  }

  /** Whether the topic is device input of the mappings: in a claimed namespace. */
  claims(topic: string): boolean {
    const slash = topic.indexOf('/');
    const root = slash < 0 ? topic : topic.slice(0, slash);
    if (!this.roots.has(root)) return false;
    return root !== SPARKPLUG_NAMESPACE || this.jsonClaims(root) || parseSparkplugTopic(topic) !== undefined;
  }

  /** A Sparkplug NDEATH (a node's Will) is taken: it ends the node's session. Other Wills on claimed topics are refused. */
  acceptsWill(topic: string, payload: Buffer): boolean {
    const t = parseSparkplugTopic(topic);
    if (t?.type !== 'NDEATH') return false;
    const c = this.compiled.find((m) => m.kind === 'sparkplug' && m.state.accepts(t));
    if (c?.kind !== 'sparkplug') return false;
    c.state.handle(t, payload, this.options.clock.now());
    return true;
  }

  async handle(topic: string, payload: Buffer): Promise<IngestOutcome> {
    const now = this.options.clock.now();
    let name = NO_MAPPING;
    let decoded: (Decoded & { device?: string }) | undefined;
    const spb = parseSparkplugTopic(topic);
    for (const c of this.compiled) {
      if (c.kind === 'sparkplug') {
        if (spb === undefined || !c.state.accepts(spb)) continue;
        name = c.name;
        const unknown = c.state.counts.unknownMetrics;
        decoded = payload.length > this.options.maxPayloadBytes ? { ok: false, reason: 'oversized' } : c.state.handle(spb, payload, now);
        if (c.state.counts.unknownMetrics > unknown) this.rebirth(spb.group, spb.node);
        break;
      }
      const captures = matchTopic(c.pattern, topic);
      if (captures === undefined) continue;
      name = c.name;
      const device = fillTemplate(c.device, captures);
      if (payload.length > this.options.maxPayloadBytes) decoded = { ok: false, reason: 'oversized' };
      else decoded = c.kind === 'json' ? decodeJson(c.json, payload, now) : decodeNumber(c.config, captures, payload, now);
      decoded = { ...decoded, device };
      break;
    }
    const stats = this.stats(name);
    if (decoded === undefined) return this.refuse(stats, 'no_mapping');
    if (!decoded.ok) return this.refuse(stats, decoded.reason);
    const device = decoded.device ?? '';
    stats.missing += decoded.missing;
    if (decoded.values.length === 0) {
      // A DEATH, or a BIRTH/DATA with nothing numeric: taken, nothing to store.
      stats.messages++;
      return { status: 'stored', records: 0 };
    }
    if (!USERNAME_PATTERN.test(device) || decoded.values.some((v) => !USERNAME_PATTERN.test(v.channel))) return this.refuse(stats, 'bad_name');
    const ctx = { now, mono: this.options.clock.monotonic(), bootId: this.options.bootId, flags: this.options.flags() };
    const records: NewRecord[] = decoded.values.map((v) => mappedRecord(device, v, ctx));
    // As native ingest: a message is stored whole or not at all (ingest-payload.ts).
    if (records.some((r) => newRecordProblem(r) !== undefined)) return this.refuse(stats, 'invalid_record');
    await this.options.sink(records);
    stats.messages++;
    stats.records += records.length;
    return { status: 'stored', records: records.length };
  }

  /** Counts per mapping name, and `(none)` once a claimed topic matched no mapping. */
  stats(): Record<string, MappingStats>;
  stats(name: string): MappingStats;
  stats(name?: string): Record<string, MappingStats> | MappingStats {
    if (name !== undefined) {
      let s = this.counts.get(name);
      if (s === undefined) this.counts.set(name, (s = { messages: 0, records: 0, missing: 0, refused: {} }));
      return s;
    }
    return Object.fromEntries(this.counts);
  }

  private rebirth(group: string, node: string): void {
    const request = this.options.requestRebirth;
    if (request === undefined) return;
    const key = `${group}/${node}`;
    const now = this.options.clock.monotonic();
    const last = this.rebirths.get(key);
    if (last !== undefined && now - last < REBIRTH_SPACING_MS) return;
    this.rebirths.set(key, now);
    request(group, node);
  }

  private refuse(stats: MappingStats, reason: MappingReason): IngestOutcome {
    stats.refused[reason] = (stats.refused[reason] ?? 0) + 1;
    return { status: 'invalid', reason: CLIENT_REASON[reason] };
  }

  private jsonClaims(root: string): boolean {
    return this.compiled.some((c) => c.kind !== 'sparkplug' && c.pattern.root === root);
  }
}

function newStats(c: Compiled): MappingStats {
  const s: MappingStats = { messages: 0, records: 0, missing: 0, refused: {} };
  // The state's own object: its counts are read live.
  if (c.kind === 'sparkplug') s.sparkplug = c.state.counts;
  return s;
}
