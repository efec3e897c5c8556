import type { AedesPublishPacket, AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { mayPublish, maySubscribe, topicLevels } from './acl.ts';
import type { AclRules } from './acl.ts';
import { CONNACK } from './auth.ts';
import type { Authenticator } from './auth.ts';
import { UNKNOWN_USER } from './counters.ts';
import type { RefusalCounters, RefusalReason } from './counters.ts';
import { refused } from './errors.ts';
import type { Ingest } from './ingest.ts';
import type { AuthThrottle, Semaphore } from './throttle.ts';

export interface GateOptions {
  readonly topicPrefix: string;
  readonly gatewayId: string;
  readonly maxPayloadBytes: number;
  readonly maxTopicLevels: number;
  readonly maxClients: number;
  readonly maxPublishesPerSecond: number;
  readonly auth: Authenticator;
  readonly throttle: AuthThrottle;
  /** Bounds the password checks running at once (scrypt). */
  readonly checks: Semaphore;
  /** Longest a CONNECT waits for its back-off slot, ms; a longer wait is refused after this long. */
  readonly holdMs: number;
  /** The client's remote address (for the back-off per source). */
  readonly peer: (client: Client) => string;
  /** The client passed authentication (admission: no deadline, larger packets). */
  readonly onAuthenticated: (client: Client) => void;
  readonly ingest: Ingest;
  readonly counters: RefusalCounters;
  readonly clock: Clock;
  readonly connectedClients: () => number;
  readonly logger: Logger;
}

interface Session {
  /** User name, or the anonymous key: what counts are kept under. */
  readonly key: string;
  readonly username: string;
  readonly rules: AclRules;
  windowStart: number;
  windowCount: number;
  flooded: boolean;
}

/** MQTT 3.1.1 §3.2.2.3: CONNACK 2, identifier rejected. */
const IDENTIFIER_REJECTED = 2;

/** Why a CONNECT was refused, for atalaya_mqtt_auth_failures_total. */
export const AUTH_FAILURES = ['bad_credentials', 'not_authorized', 'identifier_rejected', 'throttled', 'busy', 'server_full'] as const;
export type AuthFailure = (typeof AUTH_FAILURES)[number];

export interface AuthStats {
  /** Password checks run (scrypt computations), right or wrong. */
  readonly passwordChecks: number;
  readonly failures: Record<AuthFailure, number>;
}

export function noAuthStats(): AuthStats {
  return { passwordChecks: 0, failures: Object.fromEntries(AUTH_FAILURES.map((f) => [f, 0])) as Record<AuthFailure, number> };
}

type AuthDone = (error: AuthenticateError | null, success: boolean | null) => void;

function connectRefusal(returnCode: number): AuthenticateError {
  return Object.assign(new Error(`connection refused (CONNACK ${returnCode})`), { returnCode }) as unknown as AuthenticateError;
}

/**
 * The aedes hooks: who may connect, publish and subscribe, and ingest of device messages. One
 * Session per authenticated client, kept in a WeakMap so nothing is attached to aedes' objects.
 */
export class Gate {
  private readonly sessions = new WeakMap<Client, Session>();
  /** Connected client per client id: a client id is not taken over by another user. */
  private readonly byClientId = new Map<string, Client>();
  private readonly treePrefix: string;
  /** Back-off waits and held refusals, cleared by stop(). */
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly failures = noAuthStats().failures;
  private passwordChecks = 0;
  published = 0;
  stored = 0;
  duplicates = 0;

  constructor(private readonly options: GateOptions) {
    this.treePrefix = `${options.topicPrefix}/${options.gatewayId}/`;
  }

  authStats(): AuthStats {
    return { passwordChecks: this.passwordChecks, failures: { ...this.failures } };
  }

  /** Clears back-off waits; their CONNECTs are left to the closing broker. Idempotent. */
  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * CONNECT: room (maxClients), then the back-off of the source and user (issue 19), then the
   * password check, at most `checks` at once. A CONNECT without a user name costs no check.
   */
  readonly authenticate = (client: Client, username: string | undefined, password: Buffer | undefined, done: AuthDone): void => {
    const { auth, counters, maxClients, connectedClients, throttle, holdMs } = this.options;
    if (connectedClients() >= maxClients) return this.refuse(done, 'server_full', CONNACK.serverUnavailable);
    if (username === undefined || username === '') return this.verify(client, username, password, done);
    const source = this.options.peer(client);
    const key = auth.keyOf(username);
    const wait = throttle.reserve(source, key, holdMs);
    if (wait === 0) return this.verify(client, username, password, done);
    if (wait > holdMs) {
      // Refused without a check, and only after holdMs: a client that waits for its CONNACK before
      // trying again cannot loop faster than that.
      counters.add(key, 'auth_throttled');
      return this.later(holdMs, () => this.refuse(done, 'throttled', CONNACK.serverUnavailable));
    }
    this.later(wait, () => this.verify(client, username, password, done));
  };

  private verify(client: Client, username: string | undefined, password: Buffer | undefined, done: AuthDone): void {
    const { auth, counters, checks, throttle } = this.options;
    const anonymous = username === undefined || username === '';
    const source = anonymous ? '' : this.options.peer(client);
    const key = anonymous ? '' : auth.keyOf(username);
    const checked = anonymous
      ? auth.check(username, password)
      : checks.run(() => {
          this.passwordChecks++;
          return auth.check(username, password);
        }, throttle.clean(source, key));
    if (checked === undefined) return this.refuse(done, 'busy', CONNACK.serverUnavailable);
    checked.then(
      (result) => {
        if (!result.ok) {
          counters.add(result.key, 'auth_failed');
          if (!anonymous) throttle.failed(source, result.key);
          return this.refuse(done, result.returnCode === CONNACK.notAuthorized ? 'not_authorized' : 'bad_credentials', result.returnCode);
        }
        if (!anonymous) throttle.succeeded(source, result.key);
        // [MQTT-3.1.4-2] lets a new connection take over a client id; only the same user may.
        const holder = this.byClientId.get(client.id);
        if (holder !== undefined && holder !== client && this.sessions.get(holder)?.key !== result.key) {
          counters.add(result.key, 'auth_failed');
          return this.refuse(done, 'identifier_rejected', IDENTIFIER_REJECTED);
        }
        this.sessions.set(client, { key: result.key, username: result.username ?? '', rules: result.rules, windowStart: this.options.clock.monotonic(), windowCount: 0, flooded: false });
        this.options.onAuthenticated(client);
        done(null, true);
      },
      (err: unknown) => {
        this.options.logger.error({ err }, 'password check failed');
        done(connectRefusal(CONNACK.serverUnavailable), false);
      },
    );
  }

  private refuse(done: AuthDone, failure: AuthFailure, returnCode: number): void {
    this.failures[failure]++;
    done(connectRefusal(returnCode), false);
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

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
      // The client's Will, published as its connection ends: the ACL applies, ingest does not.
      return done(this.permitted(session, topic) && !this.options.ingest.isIngestTopic(topic) ? null : refused('will'));
    }
    const reason = this.check(session, topic);
    if (reason !== undefined) {
      if (reason !== 'flood' || !session.flooded) this.options.counters.add(session.key, reason);
      if (reason === 'flood') session.flooded = true;
      return done(refused(reason));
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (!this.options.ingest.isIngestTopic(topic)) {
      if (payload.length > this.options.maxPayloadBytes) {
        this.options.counters.add(session.key, 'oversized');
        return done(refused('oversized'));
      }
      this.published++;
      return done(null);
    }
    // Device input is turned into records; it is not kept as a retained message.
    packet.retain = false;
    this.options.ingest.handle(topic, payload).then(
      (outcome) => {
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
      },
      (err: unknown) => {
        this.options.counters.add(session.key, 'store_failed');
        this.options.logger.debug({ err, client: session.key }, 'ingest not stored: closing the connection');
        done(refused('store_failed', err));
      },
    );
  };

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

  /** The reason a live client's PUBLISH is refused outright, or undefined. */
  private check(session: Session, topic: string): RefusalReason | undefined {
    const now = this.options.clock.monotonic();
    if (now - session.windowStart >= 1000) {
      session.windowStart = now;
      session.windowCount = 0;
    }
    if (session.flooded || ++session.windowCount > this.options.maxPublishesPerSecond) return 'flood';
    if (topicLevels(topic) > this.options.maxTopicLevels) return 'topic_levels';
    if (!this.permitted(session, topic)) return 'acl';
    return undefined;
  }

  /** ACL, plus two reservations no ACL can lift: `$` topics (§4.7.2) and the gateway's own tree. */
  private permitted(session: Session, topic: string): boolean {
    return !topic.startsWith('$') && !topic.startsWith(this.treePrefix) && mayPublish(session.rules, session.username, topic);
  }
}
