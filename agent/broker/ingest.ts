import type { Clock } from '../../protocols/clock.ts';
import type { NewRecord } from '../../protocols/records.ts';
import { USERNAME_PATTERN } from './acl.ts';
import { perBatch } from './arrival.ts';
import { refused } from './errors.ts';
import type { IngestKind, RecordContext } from './ingest-payload.ts';
import { INGEST_KINDS, parsePayload } from './ingest-payload.ts';

/** The device seq of an ingest message, for the sink to commit with its records. */
export interface SeqMark {
  /** `<device>/<telemetry|alarm>`. */
  readonly stream: string;
  readonly seq: number;
}

/** Stores records (and `mark` with them, in the same transaction); resolves once committed. */
export type RecordSink = (records: readonly NewRecord[], mark?: SeqMark) => Promise<number[]>;
/** RecordSink with a callback (RecordBuffer.appendWith): `done` runs once, after the commit or with why not. */
export type RecordSinkWith = (records: readonly NewRecord[], mark: SeqMark | undefined, done: (err?: unknown) => void) => void;
/** The last committed seq of a stream (what the sink stored with `mark`), or undefined. */
export type StoredSeq = (stream: string) => number | undefined;

/** Why an ingest message was not stored; the keys of the refused counts. */
export type PayloadReason = 'bad_json' | 'schema' | 'invalid_record' | 'oversized' | 'unknown_topic';

export type IngestOutcome =
  | { readonly status: 'stored'; readonly records: number }
  | { readonly status: 'duplicate' }
  | { readonly status: 'invalid'; readonly reason: PayloadReason };

/** Called once per message: with the outcome, or with the sink's error when the records could not be stored. */
export type IngestCallback = (err: unknown, outcome?: IngestOutcome) => void;

export interface IngestOptions {
  readonly topicPrefix: string;
  /** Bytes, see BrokerConfig.maxPayloadBytes. */
  readonly maxPayloadBytes: number;
  readonly sink: RecordSink;
  /** Used instead of `sink` when given: no promise per message (issue 18). */
  readonly sinkWith?: RecordSinkWith;
  /** Consulted when a stream's seq is not in memory (first message after a restart); default none. */
  readonly storedSeq?: StoredSeq;
  readonly clock: Clock;
  readonly bootId: string;
  readonly flags: () => number;
}

/** Devices whose last seq is remembered; beyond it the least recently heard is forgotten. */
const MAX_TRACKED = 10_000;
/**
 * Ingest topics whose parse is remembered (a device publishes on one or two): splitting and
 * checking the topic again for every message was a visible share of its CPU (issue 18). Past this
 * many the memory is dropped and refilled.
 */
const MAX_TOPICS = 4096;

/** A parsed ingest topic; `stream` is the key of its device seq (`<device>/<kind>`). */
interface Target {
  readonly device: string;
  readonly kind: IngestKind;
  readonly stream: string;
}

const UNKNOWN_TOPIC: IngestOutcome = Object.freeze({ status: 'invalid', reason: 'unknown_topic' });
const OVERSIZED: IngestOutcome = Object.freeze({ status: 'invalid', reason: 'oversized' });
const DUPLICATE: IngestOutcome = Object.freeze({ status: 'duplicate' });
const STORED_ONE: IngestOutcome = Object.freeze({ status: 'stored', records: 1 });

interface LastSeq {
  readonly seq: number;
  /** The message that carried this seq is still being stored (a failed one is forgotten). */
  pending: boolean;
  /** Redeliveries of it that arrived while it was pending: answered when it settles. */
  waiters: IngestCallback[] | undefined;
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
  /** Parsed topics, null for a topic under `<prefix>/in/` that is not an ingest topic. */
  private readonly targets = new Map<string, Target | null>();
  /** What every record of the messages read together gets: arrival time, mono, boot id, flags (arrival.ts). */
  private readonly context: () => RecordContext;

  constructor(private readonly options: IngestOptions) {
    this.inPrefix = `${options.topicPrefix}/in/`;
    const { clock, bootId, flags } = options;
    this.context = perBatch(() => ({ now: clock.now(), mono: clock.monotonic(), bootId, flags: flags() }));
  }

  isIngestTopic(topic: string): boolean {
    return topic.startsWith(this.inPrefix);
  }

  /** Device and kind of an ingest topic, or undefined for any other topic under `<prefix>/in/`. */
  parseTopic(topic: string): { device: string; kind: IngestKind } | undefined {
    const target = this.target(topic);
    return target === undefined ? undefined : { device: target.device, kind: target.kind };
  }

  /** Rejects with the sink's error when the records could not be stored. */
  handle(topic: string, payload: Buffer): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => this.handleWith(topic, payload, (err, outcome) => (outcome === undefined ? reject(err) : resolve(outcome))));
  }

  /**
   * handle() for the broker's hot path: `done` runs once the sink settled, with little allocated per
   * message beyond its records (with sinkWith, no promise at all). Every in-flight message's objects
   * are copied by each young-generation GC until its commit, which with thousands of messages in
   * flight is most of a message's CPU (issue 18); hence no async/await and no promise chain here.
   */
  handleWith(topic: string, payload: Buffer, done: IngestCallback): void {
    const target = this.target(topic);
    if (target === undefined) return done(null, UNKNOWN_TOPIC);
    if (payload.length > this.options.maxPayloadBytes) return done(null, OVERSIZED);
    const parsed = parsePayload(target.kind, target.device, payload, this.context());
    if (!parsed.ok) return done(null, { status: 'invalid', reason: parsed.reason });
    const count = parsed.records.length;
    const outcome = count === 1 ? STORED_ONE : { status: 'stored' as const, records: count };
    if (parsed.seq === undefined) return this.store(parsed.records, undefined, (err) => (err === undefined ? done(null, outcome) : done(err)));
    const key = target.stream;
    const last = this.lastSeq.get(key);
    if (last !== undefined && last.seq === parsed.seq) {
      // Possibly still being stored (a redelivery racing the original): acknowledge only once it is.
      if (!last.pending) return done(null, DUPLICATE);
      last.waiters ??= [];
      last.waiters.push(done);
      return;
    }
    if (last === undefined && this.options.storedSeq?.(key) === parsed.seq) {
      this.remember(key, { seq: parsed.seq, pending: false, waiters: undefined });
      return done(null, DUPLICATE);
    }
    const entry: LastSeq = { seq: parsed.seq, pending: true, waiters: undefined };
    this.remember(key, entry);
    this.store(parsed.records, { stream: key, seq: parsed.seq }, (err) => {
      entry.pending = false;
      // Not stored: its redelivery must be stored, not taken for a duplicate.
      if (err !== undefined && this.lastSeq.get(key) === entry) this.lastSeq.delete(key);
      const { waiters } = entry;
      entry.waiters = undefined;
      try {
        if (err === undefined) done(null, outcome);
        else done(err);
      } finally {
        // Each redelivery gets its answer even if the first callback threw.
        if (waiters !== undefined) for (const waiter of waiters) err === undefined ? waiter(null, DUPLICATE) : waiter(err);
      }
    });
  }

  /** Through sinkWith, else the sink's promise; a sink that throws instead of rejecting is taken as a rejection. */
  private store(records: readonly NewRecord[], mark: SeqMark | undefined, done: (err?: unknown) => void): void {
    const { sink, sinkWith } = this.options;
    if (sinkWith !== undefined) return sinkWith(records, mark, done);
    let stored: Promise<unknown>;
    try {
      stored = sink(records, mark);
    } catch (err) {
      stored = Promise.reject(err);
    }
    stored.then(
      () => done(),
      // A rejection without a reason is still a failure: undefined means stored to the callback.
      (err: unknown) => done(err ?? refused('store_failed')),
    );
  }

  private target(topic: string): Target | undefined {
    const known = this.targets.get(topic);
    if (known !== undefined) return known ?? undefined;
    if (!this.isIngestTopic(topic)) return undefined;
    const [device, kind, ...rest] = topic.slice(this.inPrefix.length).split('/');
    const valid = device !== undefined && USERNAME_PATTERN.test(device) && rest.length === 0 && (INGEST_KINDS as readonly string[]).includes(kind ?? '');
    const target = valid ? { device, kind: kind as IngestKind, stream: `${device}/${kind}` } : null;
    if (this.targets.size >= MAX_TOPICS) this.targets.clear();
    this.targets.set(topic, target);
    return target ?? undefined;
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
