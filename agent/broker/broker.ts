import { readFile as fsReadFile } from 'node:fs/promises';
import type { Client } from 'aedes';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { USERNAME_PATTERN } from './acl.ts';
import type { PreAuthClose } from './admission.ts';
import { Admission, preAuthCloses } from './admission.ts';
import type { ReadFile } from './auth.ts';
import { Authenticator, loadUsers } from './auth.ts';
import type { AuthStats } from './connect.ts';
import { ConnectGate, noAuthStats } from './connect.ts';
import type { RefusalReason } from './counters.ts';
import { RefusalCounters } from './counters.ts';
import { invalidOptions, stoppedError } from './errors.ts';
import { packetLimits } from './frames.ts';
import { Gate } from './gate.ts';
import type { RecordSink, RecordSinkWith, StoredSeq } from './ingest.ts';
import { Ingest } from './ingest.ts';
import type { BoundAddress, ListenerOptions } from './listeners.ts';
import { Listener, readTlsFiles } from './listeners.ts';
import { MappingDispatch } from './mapping-dispatch.ts';
import { MappedIngest, type MappingStats } from './mapping-ingest.ts';
import { SPARKPLUG_NAMESPACE } from './mapping-sparkplug.ts';
import { rebirthCommand } from './mapping-sparkplug-codec.ts';
import type { OnCommitted } from './republisher.ts';
import { Republisher } from './republisher.ts';
import type { BrokerConfig } from './schema.ts';
import { AuthThrottle, Semaphore } from './throttle.ts';

export interface MqttBrokerOptions {
  readonly config: BrokerConfig;
  readonly gatewayId: string;
  /** Where ingest records go (RecordBuffer.append, with the device seq mark); resolves once they are committed. */
  readonly sink: RecordSink;
  /** RecordBuffer.appendWith: native ingest stores through it instead of `sink`, without a promise per message. */
  readonly sinkWith?: RecordSinkWith;
  /** The committed device seq of an ingest stream (RecordBuffer.deviceSeq); without it, seqs are kept in memory only. */
  readonly storedSeq?: StoredSeq;
  /** Committed records of the buffer, for the republished tree. */
  readonly onCommitted: OnCommitted;
  readonly bootId: string;
  /** RECORD_FLAGS for records made now (e.g. clockUnsynced). */
  readonly flags: () => number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Reads cert, key and credentials files; default fs.promises.readFile. */
  readonly readFile?: ReadFile;
}

export interface BrokerStats {
  readonly clients: number;
  /** Client PUBLISHes accepted (ingest stored or duplicate, or routed). */
  readonly published: number;
  /** Records appended by ingest. */
  readonly stored: number;
  /** Ingest messages acknowledged without storing: repeated device seq. */
  readonly duplicates: number;
  /** Records published on the gateway's tree. */
  readonly republished: number;
  readonly refused: Record<RefusalReason, number>;
  /** Connections accepted and not yet authenticated. */
  readonly pending: number;
  /** Connections closed before authenticating, by why. */
  readonly closedBeforeAuth: Record<PreAuthClose, number>;
  readonly auth: AuthStats;
  /** Per mapping (mqtt.mappings): messages, records, refusals by reason; empty without mappings. */
  readonly mappings?: Record<string, MappingStats>;
}

/** MQTT 3.1 limited client ids to 23 bytes; 3.1.1 lets a server accept longer ones [MQTT-3.1.3-5]. */
const MAX_CLIENT_ID_LENGTH = 128;
/** Sockets per listener beyond maxClients + maxPending: room for clients being refused or closing. */
const CONNECTING_SLACK = 32;

/**
 * The embedded MQTT broker (aedes): devices publish into the buffer through it, and it republishes
 * what the buffer committed. See README.md in this folder for topics, payloads and ACLs.
 */
export class MqttBroker {
  private readonly log: Logger;
  private state: 'idle' | 'starting' | 'running' | 'stopped' = 'idle';
  private starting: Promise<void> | undefined;
  private aedes: Aedes | undefined;
  private listeners: Listener[] = [];
  private gate: Gate | undefined;
  private connectGate: ConnectGate | undefined;
  private admission: Admission | undefined;
  private republisher: Republisher | undefined;
  private mapped: MappedIngest | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private readonly counters = new RefusalCounters();
  private startedAt = 0;

  constructor(private readonly options: MqttBrokerOptions) {
    this.log = options.logger.child({ component: 'broker' });
  }

  /** Binds every listener; on any failure closes what it opened and rejects (BROKER_LISTEN, BROKER_FILE, …). */
  start(): Promise<void> {
    if (this.state === 'running') return Promise.resolve();
    if (this.state === 'stopped') return Promise.reject(stoppedError());
    this.starting ??= this.open().finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** Closes listeners, disconnects clients, closes aedes. Idempotent; the broker cannot be restarted. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    await this.starting?.catch(() => undefined);
    await this.teardown();
    if (wasRunning) this.log.info('MQTT broker stopped');
  }

  addresses(): BoundAddress[] {
    return this.listeners.map((l) => l.address);
  }

  stats(): BrokerStats {
    return {
      clients: this.aedes?.connectedClients ?? 0,
      published: this.gate?.published ?? 0,
      stored: this.gate?.stored ?? 0,
      duplicates: this.gate?.duplicates ?? 0,
      republished: this.republisher?.published ?? 0,
      refused: this.counters.totals(),
      pending: this.admission?.pendingCount() ?? 0,
      closedBeforeAuth: this.admission?.totals() ?? preAuthCloses(),
      auth: this.connectGate?.stats() ?? noAuthStats(),
      mappings: this.mapped?.stats() ?? {},
    };
  }

  private async open(): Promise<void> {
    const { config, gatewayId, clock } = this.options;
    this.state = 'starting';
    try {
      if (!USERNAME_PATTERN.test(gatewayId) || gatewayId === 'in') {
        throw invalidOptions([`gatewayId: ${gatewayId} cannot be a level of ${config.topicPrefix}/<gateway id>/… (letters, digits, _ . -, not "in")`]);
      }
      const readFile = this.options.readFile ?? fsReadFile;
      const users = await loadUsers(config, readFile);
      const secure = await readTlsFiles(config.listeners, readFile);
      const ingest = new Ingest({
        ...config,
        sink: this.options.sink,
        sinkWith: this.options.sinkWith,
        storedSeq: this.options.storedSeq,
        clock,
        bootId: this.options.bootId,
        flags: this.options.flags,
      });
      const { sink, bootId, flags } = this.options;
      const requestRebirth = (group: string, node: string): void =>
        this.publishInternal(`${SPARKPLUG_NAMESPACE}/${group}/NCMD/${node}`, rebirthCommand(clock.now()), 0, false);
      this.mapped = config.mappings.length === 0 ? undefined : new MappedIngest({ ...config, sink, clock, bootId, flags, requestRebirth });
      const input = this.mapped === undefined ? ingest : new MappingDispatch(ingest, this.mapped);
      const auth = new Authenticator(users, config.allowAnonymous, `${config.topicPrefix}/${gatewayId}/#`);
      const admission = new Admission({ ...config, limits: packetLimits(config.maxPayloadBytes) });
      this.admission = admission;
      const gate = new Gate({ ...config, gatewayId, ingest: input, counters: this.counters, clock, logger: this.log });
      this.gate = gate;
      const connectGate = new ConnectGate({
        maxClients: config.maxClients,
        connectedClients: () => this.aedes?.connectedClients ?? 0,
        auth,
        throttle: new AuthThrottle({ initialMs: config.authBackoffInitialMs, maxMs: config.authBackoffMaxMs, clock }),
        checks: new Semaphore(config.maxConcurrentPasswordChecks, config.maxPending),
        // Half the CONNECT deadline: a CONNECT still has time for its check after its back-off wait.
        holdMs: Math.floor(config.connectTimeoutMs / 2),
        peer: (client) => admission.addressOf(client.conn),
        accept: gate.accept,
        onAuthenticated: (client) => admission.authenticated(client.conn),
        counters: this.counters,
        logger: this.log,
      });
      this.connectGate = connectGate;
      const aedes = await Aedes.createBroker({
        // The admission closes a connection still unauthenticated at this deadline; aedes' own
        // timer (until CONNECT arrives) gets the same value.
        connectTimeout: config.connectTimeoutMs,
        queueLimit: config.queueLimit,
        drainTimeout: config.drainTimeoutMs,
        concurrency: config.concurrency,
        maxClientsIdLength: MAX_CLIENT_ID_LENGTH,
        // aedes refuses deeper topics before our hooks see them; the hooks count the shallower excess.
        maxTopicLevels: 100,
        authenticate: connectGate.authenticate,
        authorizePublish: gate.authorizePublish,
        authorizeSubscribe: gate.authorizeSubscribe,
        authorizeForward: gate.authorizeForward,
      });
      this.aedes = aedes;
      aedes.on('clientReady', gate.onClientReady);
      aedes.on('clientDisconnect', gate.onClientDisconnect);
      aedes.on('clientError', (client: Client, err: Error) => this.log.debug({ err, client: client.id }, 'MQTT client error'));
      aedes.on('connectionError', (_client: Client, err: Error) => this.log.debug({ err }, 'MQTT connection error'));
      for (const listener of config.listeners) {
        const options: ListenerOptions = {
          secure: secure.get(listener),
          maxConnections: config.maxClients + config.maxPending + CONNECTING_SLACK,
          onSocket: admission.accept,
          // Payload plus the largest topic and header: a WebSocket message carries one MQTT packet.
          maxWsPayload: config.maxPayloadBytes + 65_536 + 16,
          logger: this.log,
        };
        this.listeners.push(await Listener.open(listener, (stream, socket, req) => aedes.handle(admission.wrap(stream, socket), req), options));
      }
      this.republisher = new Republisher({
        topicPrefix: config.topicPrefix,
        gatewayId,
        onCommitted: this.options.onCommitted,
        publish: (topic, payload, qos, retain) => this.publishInternal(topic, payload, qos, retain),
        logger: this.log,
      });
      this.republisher.start();
      this.startedAt = clock.now();
      this.report();
      this.reportTimer = setInterval(() => this.report(), config.reportIntervalMs);
      if (this.state !== 'starting') throw stoppedError();
      this.state = 'running';
      this.log.info({ listeners: this.addresses(), users: users.length, allowAnonymous: config.allowAnonymous }, 'MQTT broker started');
    } catch (err) {
      await this.teardown();
      if (this.state === 'starting') this.state = 'idle';
      throw err;
    }
  }

  private async teardown(): Promise<void> {
    if (this.reportTimer !== undefined) clearInterval(this.reportTimer);
    this.reportTimer = undefined;
    this.republisher?.stop();
    this.connectGate?.stop();
    this.admission?.stop();
    const closing = this.listeners.map((l) => l.close());
    const aedes = this.aedes;
    if (aedes !== undefined) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await Promise.all(closing);
    this.listeners = [];
    this.aedes = undefined;
  }

  /** Server-side publish: bypasses authorizePublish, as aedes.publish does. */
  private publishInternal(topic: string, payload: string | Buffer, qos: 0 | 1, retain: boolean): void {
    const aedes = this.aedes;
    if (aedes === undefined || aedes.closed) return;
    aedes.publish({ cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos, retain, dup: false }, (err) => {
      if (err) this.log.debug({ err, topic }, 'internal publish failed');
    });
  }

  /** One log line per interval with refusals, and the cumulative counts, retained on the status topic. */
  private report(): void {
    const { config, gatewayId, clock } = this.options;
    const interval = this.counters.takeInterval();
    if (interval !== undefined) {
      this.log.warn({ intervalMs: config.reportIntervalMs, refused: interval.byReason, clients: interval.byClient }, 'MQTT messages refused');
    }
    const closed = this.admission?.takeInterval();
    if (closed !== undefined) {
      this.log.warn({ intervalMs: config.reportIntervalMs, closed, pending: this.admission?.pendingCount() }, 'MQTT connections closed before authenticating');
    }
    const stats = this.stats();
    const status = { ts: clock.now(), since: this.startedAt, ...stats, byClient: this.counters.byClient() };
    this.publishInternal(`${config.topicPrefix}/${gatewayId}/status/ingest`, JSON.stringify(status), 0, true);
  }
}
