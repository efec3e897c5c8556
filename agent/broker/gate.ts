import type { AedesPublishPacket, Client, PublishPacket, Subscription } from 'aedes';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import type { AclRules } from './acl.ts';
import { mayPublish, maySubscribe, topicLevels } from './acl.ts';
import { perBatch } from './arrival.ts';
import type { AuthResult } from './auth.ts';
import type { RefusalCounters, RefusalReason } from './counters.ts';
import { UNKNOWN_USER } from './counters.ts';
import { refused } from './errors.ts';
import type { IngestOutcome } from './ingest.ts';
import type { DeviceInput } from './mapping-dispatch.ts';

export interface GateOptions {
  readonly topicPrefix: string;
  readonly gatewayId: string;
  readonly maxPayloadBytes: number;
  readonly maxTopicLevels: number;
  readonly maxPublishesPerSecond: number;
  /** Native ingest, or native ingest and the mappings (mapping-dispatch.ts). */
  readonly ingest: DeviceInput;
  readonly counters: RefusalCounters;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** What a live client's PUBLISH on one topic gets, apart from the flood guard: fixed for its session. */
interface TopicDecision {
  /** 'topic_levels' or 'acl', or undefined when the topic is allowed. */
  readonly refusal: RefusalReason | undefined;
  /** Device input (DeviceInput.isIngestTopic). */
  readonly ingest: boolean;
}

/**
 * Topics whose decision a session remembers. A device publishes on a handful of topics; matching
 * every ACL pattern again for each PUBLISH was a visible share of a message's CPU (issue 18). Past
 * this many the memory is dropped and refilled, so a client cycling topics costs what it did before.
 */
const DECISIONS_PER_SESSION = 32;

interface Session {
  /** User name, or the anonymous key: what counts are kept under. */
  readonly key: string;
  readonly username: string;
  readonly rules: AclRules;
  windowStart: number;
  windowCount: number;
  flooded: boolean;
  /** Per topic: the session's rules and the gate's options never change while it lives. */
  readonly decisions: Map<string, TopicDecision>;
}

/**
 * The aedes hooks after CONNECT (connect.ts): who may publish and subscribe, and ingest of device
 * messages. One Session per authenticated client, kept in a WeakMap so nothing is attached to aedes' objects.
 */
export class Gate {
  private readonly sessions = new WeakMap<Client, Session>();
  /** Connected client per client id: a client id is not taken over by another user. */
  private readonly byClientId = new Map<string, Client>();
  private readonly treePrefix: string;
  published = 0;
  stored = 0;
  duplicates = 0;

  /** Monotonic ms, read once per batch of packets read together (arrival.ts), for the flood windows. */
  private readonly monotonic: () => number;

  constructor(private readonly options: GateOptions) {
    this.treePrefix = `${options.topicPrefix}/${options.gatewayId}/`;
    const { clock } = options;
    this.monotonic = perBatch(() => clock.monotonic());
  }

  /**
   * Called once a CONNECT's credentials were accepted: false when its client id is held by another
   * user's connection ([MQTT-3.1.4-2] lets a new connection take over a client id; only the same
   * user may), else its session starts.
   */
  readonly accept = (client: Client, result: Extract<AuthResult, { ok: true }>): boolean => {
    const holder = this.byClientId.get(client.id);
    if (holder !== undefined && holder !== client && this.sessions.get(holder)?.key !== result.key) return false;
    this.sessions.set(client, {
      key: result.key,
      username: result.username ?? '',
      rules: result.rules,
      windowStart: this.options.clock.monotonic(),
      windowCount: 0,
      flooded: false,
      decisions: new Map(),
    });
    return true;
  };

  readonly onClientReady = (client: Client): void => {
    this.byClientId.set(client.id, client);
  };

  readonly onClientDisconnect = (client: Client): void => {
    if (this.byClientId.get(client.id) === client) this.byClientId.delete(client.id);
  };

  /**
   * Called by aedes before it acknowledges or routes a PUBLISH (or publishes a Will); an error
   * makes aedes close the connection, as [MQTT-3.3.5-2] allows. For an ingest topic `done` runs
   * only after the sink settled: the PUBACK follows the commit.
   */
  readonly authorizePublish = (client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void => {
    const session = client === null ? undefined : this.sessions.get(client);
    if (client === null || session === undefined) return done(refused('no session'));
    const { topic } = packet;
    if (client.closed) {
      // The client's Will, published as its connection ends: the ACL applies, ingest does not,
      // except a Sparkplug NDEATH, which ends the node's session (mapping-sparkplug.ts).
      if (!this.permitted(session, topic)) return done(refused('will'));
      const { ingest } = this.options;
      if (!ingest.isIngestTopic(topic)) return done(null);
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      if (ingest.acceptsWill?.(topic, payload) !== true) return done(refused('will'));
      packet.retain = false;
      return done(null);
    }
    const decision = this.decide(session, topic);
    const reason = this.flooded(session) ? 'flood' : decision.refusal;
    if (reason !== undefined) {
      if (reason !== 'flood' || !session.flooded) this.options.counters.add(session.key, reason);
      if (reason === 'flood') session.flooded = true;
      return done(refused(reason));
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (!decision.ingest) {
      if (payload.length > this.options.maxPayloadBytes) {
        this.options.counters.add(session.key, 'oversized');
        return done(refused('oversized'));
      }
      this.published++;
      return done(null);
    }
    // Device input is turned into records; it is not kept as a retained message.
    packet.retain = false;
    // Inline arrows, not a named const: under tsx (keepNames) a named closure made per message
    // costs a defineProperty each (issue 18).
    const { ingest } = this.options;
    if (ingest.handleWith !== undefined) ingest.handleWith(topic, payload, (err, outcome) => this.settle(session, done, err, outcome));
    else
      ingest.handle(topic, payload).then(
        (outcome) => this.settle(session, done, null, outcome),
        (err: unknown) => this.settle(session, done, err),
      );
  };

  /** The end of a device input message: counted, then its PUBACK released, or its connection closed when it was not stored. */
  private settle(session: Session, done: (error?: Error | null) => void, err: unknown, outcome?: IngestOutcome): void {
    if (outcome === undefined) {
      this.options.counters.add(session.key, 'store_failed');
      this.options.logger.debug({ err, client: session.key }, 'ingest not stored: closing the connection');
      return done(refused('store_failed', err));
    }
    if (outcome.status === 'invalid') {
      // Acknowledged and dropped: a payload that can never be stored would otherwise be
      // redelivered on every reconnect and wedge the device's queue (README).
      this.options.counters.add(session.key, outcome.reason);
    } else {
      this.published++;
      if (outcome.status === 'stored') this.stored += outcome.records;
      else this.duplicates++;
    }
    done(null);
  }

  /** Denied subscriptions get return code 0x80 in the SUBACK (MQTT 3.1.1 §3.9.3). */
  readonly authorizeSubscribe = (client: Client, sub: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void): void => {
    const session = this.sessions.get(client);
    if (session === undefined || topicLevels(sub.topic) > this.options.maxTopicLevels || !maySubscribe(session.rules, session.username, sub.topic)) {
      this.options.counters.add(session?.key ?? UNKNOWN_USER, 'subscribe_denied');
      return done(null, null);
    }
    done(null, sub);
  };

  /** Device input is consumed by ingest; subscribers get the records from the tree instead. */
  readonly authorizeForward = (_client: Client, packet: AedesPublishPacket): AedesPublishPacket | null => {
    return this.options.ingest.isIngestTopic(packet.topic) ? null : packet;
  };

  /** Counts this PUBLISH in the session's one-second window: true when it is over maxPublishesPerSecond. */
  private flooded(session: Session): boolean {
    const now = this.monotonic();
    if (now - session.windowStart >= 1000) {
      session.windowStart = now;
      session.windowCount = 0;
    }
    return session.flooded || ++session.windowCount > this.options.maxPublishesPerSecond;
  }

  /** Why a live client's PUBLISH on `topic` is refused (flood aside), and whether it is device input. */
  private decide(session: Session, topic: string): TopicDecision {
    const known = session.decisions.get(topic);
    if (known !== undefined) return known;
    const refusal = topicLevels(topic) > this.options.maxTopicLevels ? 'topic_levels' : this.permitted(session, topic) ? undefined : 'acl';
    const decision: TopicDecision = { refusal, ingest: refusal === undefined && this.options.ingest.isIngestTopic(topic) };
    if (session.decisions.size >= DECISIONS_PER_SESSION) session.decisions.clear();
    session.decisions.set(topic, decision);
    return decision;
  }

  /** ACL, plus two reservations no ACL can lift: `$` topics (§4.7.2) and the gateway's own tree. */
  private permitted(session: Session, topic: string): boolean {
    return !topic.startsWith('$') && !topic.startsWith(this.treePrefix) && mayPublish(session.rules, session.username, topic);
  }
}
