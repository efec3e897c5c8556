import type { Clock } from '../../protocols/clock.ts';
import type { NewRecord } from '../../protocols/records.ts';
import { USERNAME_PATTERN } from './acl.ts';
import type { IngestKind } from './ingest-payload.ts';
import { INGEST_KINDS, parsePayload } from './ingest-payload.ts';

/** The device seq of an ingest message, for the sink to commit with its records. */
export interface SeqMark {
  /** `<device>/<telemetry|alarm>`. */
  readonly stream: string;
  readonly seq: number;
}

/** Stores records (and `mark` with them, in the same transaction); resolves once committed. */
export type RecordSink = (records: readonly NewRecord[], mark?: SeqMark) => Promise<number[]>;
/** The last committed seq of a stream (what the sink stored with `mark`), or undefined. */
export type StoredSeq = (stream: string) => number | undefined;

/** Why an ingest message was not stored; the keys of the refused counts. */
export type PayloadReason = 'bad_json' | 'schema' | 'invalid_record' | 'oversized' | 'unknown_topic';

export type IngestOutcome =
  | { readonly status: 'stored'; readonly records: number }
  | { readonly status: 'duplicate' }
  | { readonly status: 'invalid'; readonly reason: PayloadReason };

export interface IngestOptions {
  readonly topicPrefix: string;
  /** Bytes, see BrokerConfig.maxPayloadBytes. */
  readonly maxPayloadBytes: number;
  readonly sink: RecordSink;
  /** Consulted when a stream's seq is not in memory (first message after a restart); default none. */
  readonly storedSeq?: StoredSeq;
  readonly clock: Clock;
  readonly bootId: string;
  readonly flags: () => number;
}

/** Devices whose last seq is remembered; beyond it the least recently heard is forgotten. */
const MAX_TRACKED = 10_000;

interface LastSeq {
  readonly seq: number;
  /** Settles when the message that carried this seq is stored (rejects if it was not). */
  readonly stored: Promise<unknown>;
}

/**
 * Turns PUBLISHes on `<prefix>/in/<device>/<telemetry|alarm>` into records and hands them to the
 * sink; the returned promise settles only when the sink has settled, so the caller can hold the
 * PUBACK until the records are committed.
 *
 * Redelivery: a QoS 1 message whose PUBACK was lost is sent again (MQTT 3.1.1 §4.3.2, §4.4).
 * A message whose device `seq` equals the last one stored for that device and topic
 * is acknowledged without storing it twice. The seq is committed with the records (the sink's
 * `mark`), and a stream not in memory is looked up in the store, so a message resent after a crash
 * between commit and PUBACK is recognised too (issue 19).
 */
export class Ingest {
  private readonly inPrefix: string;
  private readonly lastSeq = new Map<string, LastSeq>();

  constructor(private readonly options: IngestOptions) {
    this.inPrefix = `${options.topicPrefix}/in/`;
  }

  isIngestTopic(topic: string): boolean {
    return topic.startsWith(this.inPrefix);
  }

  /** Device and kind of an ingest topic, or undefined for any other topic under `<prefix>/in/`. */
  parseTopic(topic: string): { device: string; kind: IngestKind } | undefined {
    if (!this.isIngestTopic(topic)) return undefined;
    const [device, kind, ...rest] = topic.slice(this.inPrefix.length).split('/');
    if (device === undefined || !USERNAME_PATTERN.test(device) || rest.length > 0) return undefined;
    return (INGEST_KINDS as readonly string[]).includes(kind ?? '') ? { device, kind: kind as IngestKind } : undefined;
  }

  /** Rejects with the sink's error when the records could not be stored. */
  async handle(topic: string, payload: Buffer): Promise<IngestOutcome> {
    const target = this.parseTopic(topic);
    if (target === undefined) return { status: 'invalid', reason: 'unknown_topic' };
    if (payload.length > this.options.maxPayloadBytes) return { status: 'invalid', reason: 'oversized' };
    const { clock, bootId, flags } = this.options;
    const parsed = parsePayload(target.kind, target.device, payload, { now: clock.now(), mono: clock.monotonic(), bootId, flags: flags() });
    if (!parsed.ok) return { status: 'invalid', reason: parsed.reason };
    if (parsed.seq === undefined) {
      await this.options.sink(parsed.records);
      return { status: 'stored', records: parsed.records.length };
    }
    const key = `${target.device}/${target.kind}`;
    const last = this.lastSeq.get(key);
    if (last !== undefined && last.seq === parsed.seq) {
      // Possibly still being stored (a redelivery racing the original): acknowledge only once it is.
      await last.stored;
      return { status: 'duplicate' };
    }
    if (last === undefined && this.options.storedSeq?.(key) === parsed.seq) {
      this.remember(key, { seq: parsed.seq, stored: Promise.resolve() });
      return { status: 'duplicate' };
    }
    const entry: LastSeq = { seq: parsed.seq, stored: this.options.sink(parsed.records, { stream: key, seq: parsed.seq }) };
    this.remember(key, entry);
    try {
      await entry.stored;
    } catch (err) {
      // Not stored: its redelivery must be stored, not taken for a duplicate.
      if (this.lastSeq.get(key) === entry) this.lastSeq.delete(key);
      throw err;
    }
    return { status: 'stored', records: parsed.records.length };
  }

  private remember(key: string, entry: LastSeq): void {
    this.lastSeq.delete(key);
    this.lastSeq.set(key, entry);
    if (this.lastSeq.size > MAX_TRACKED) {
      const oldest = this.lastSeq.keys().next();
      if (oldest.done !== true) this.lastSeq.delete(oldest.value);
    }
  }
}
