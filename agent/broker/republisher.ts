import type { Logger } from 'pino';
import type { StoredRecord } from '../../protocols/records.ts';

export type CommittedListener = (records: readonly StoredRecord[]) => void;
/** Registers a listener for records the buffer committed; returns the function that removes it. */
export type OnCommitted = (listener: CommittedListener) => () => void;
export type InternalPublish = (topic: string, payload: string, qos: 0 | 1, retain: boolean) => void;

export interface RepublisherOptions {
  readonly topicPrefix: string;
  readonly gatewayId: string;
  readonly onCommitted: OnCommitted;
  readonly publish: InternalPublish;
  readonly logger: Logger;
}

/** A name usable as one topic level: no separator, no wildcard (MQTT 3.1.1 §4.7.1), no $ start (§4.7.2). */
function isTopicLevel(name: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is refused on purpose, topic names must not contain it (MQTT 3.1.1 §1.5.3)
  return name.length > 0 && !/[/+#\u0000]/.test(name) && !name.startsWith('$');
}

/**
 * Publishes committed records on the gateway's topic tree (README "Topic tree"): readings
 * retained at QoS 0 (the next one replaces it soon), alarm transitions retained at QoS 1 (a
 * subscriber must not miss one). Only committed records are published, so whatever a subscriber
 * sees is already in the buffer. Of the readings one commit holds for the same topic only the
 * last is published: the retained value is the same, and a commit spans one event-loop turn, so
 * at field rates (a reading per channel per second) nothing is left out; at bench rates it saves
 * a publish per message. The full series is in the buffer and at the relay.
 */
export class Republisher {
  private readonly log: Logger;
  private unsubscribe: (() => void) | undefined;
  private count = 0;
  private skipped = 0;

  constructor(private readonly options: RepublisherOptions) {
    this.log = options.logger.child({ component: 'republisher' });
  }

  start(): void {
    this.unsubscribe ??= this.options.onCommitted((records) => this.publishAll(records));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  get published(): number {
    return this.count;
  }

  topicOf(record: StoredRecord): string | undefined {
    const { topicPrefix, gatewayId } = this.options;
    if (!isTopicLevel(record.device) || !isTopicLevel(record.channel)) return undefined;
    const base = `${topicPrefix}/${gatewayId}/${record.device}/${record.channel}`;
    if (record.kind === 'reading') return base;
    const rule = record.alarm?.rule;
    return rule !== undefined && isTopicLevel(rule) ? `${base}/alarm/${rule}` : undefined;
  }

  private publishAll(records: readonly StoredRecord[]): void {
    // From the end: the first reading met per (device, channel) is its last one in the commit, and
    // the topic is built only for what is published (a commit can hold thousands of readings of
    // a few channels: issue 18).
    const seen = new Map<string, Set<string>>();
    const chosen: number[] = [];
    for (let i = records.length - 1; i >= 0; i--) {
      const record = records[i]!;
      if (record.kind === 'reading') {
        let channels = seen.get(record.device);
        if (channels === undefined) seen.set(record.device, (channels = new Set()));
        if (channels.has(record.channel)) continue;
        channels.add(record.channel);
      }
      chosen.push(i);
    }
    for (let j = chosen.length - 1; j >= 0; j--) {
      const record = records[chosen[j]!]!;
      const topic = this.topicOf(record);
      if (topic === undefined) {
        // Config and ingest ids cannot produce this; a record from elsewhere might. Logged once.
        if (this.skipped++ === 0) this.log.warn({ device: record.device, channel: record.channel }, 'record names are not valid topic levels: not republished');
        continue;
      }
      const { value, unit, quality, ts, seq } = record;
      if (record.kind === 'reading' || record.alarm === undefined) {
        this.options.publish(topic, JSON.stringify({ value, unit, quality, ts, seq }), 0, true);
      } else {
        const { level, state, threshold } = record.alarm;
        // A `paged` note (local paging) is not a transition: retained, it would replace the rule's state.
        this.options.publish(topic, JSON.stringify({ level, state, threshold, value, unit, ts, seq }), 1, state !== 'paged');
      }
      this.count++;
    }
  }
}
