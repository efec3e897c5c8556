import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { Lifecycle, namedPart, type Part } from '../platform/lifecycle.ts';
import { type Clock, systemClock } from '../protocols/clock.ts';
import type { StoredRecord } from '../protocols/records.ts';
import { AlarmEngine } from './alarms/engine.ts';
import { resolveAlarmRules } from './alarms/resolve.ts';
import { MqttBroker } from './broker/broker.ts';
import { registerMappingMetrics } from './broker/mapping-metrics.ts';
import { RecordBuffer } from './buffer/buffer.ts';
import { droppingInvalid } from './buffer/checked-sink.ts';
import { BUFFER_WRITE_FAILED, isBufferError } from './buffer/errors.ts';
import { makeFleetClient } from './compose-fleet.ts';
import { profileTable } from './config/profiles.ts';
import type { AgentConfig } from './config/schema.ts';
import type { FleetClient } from './fleet/client.ts';
import { registerFleetMetrics } from './fleet/metrics.ts';
import type { FleetPart } from './fleet/part.ts';
import { type AgentMetrics, createAgentMetrics } from './metrics/index.ts';
import { Poller } from './modbus/poller.ts';
import { registerPagingMetrics } from './paging/metrics.ts';
import type { Pager } from './paging/pager.ts';
import { statusTokenHashes } from './status/auth.ts';
import { modbusDevices } from './status/devices.ts';
import type { StatusServer } from './status/server.ts';
import type { SyncClient } from './sync/client.ts';
import { ClockWatch } from './sync/clock.ts';
import { loadGatewaySecret } from './sync/secret.ts';
import { readBootId } from './system/boot-id.ts';
import type { Updater } from './update/updater.ts';

export interface AgentDeps {
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly bootId?: string;
  /** Where the gateway secret (ATALAYA_GATEWAY_SECRET) and extra status tokens (ATALAYA_STATUS_TOKENS) are looked up; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** How long each part's stop() may take before the next one is stopped anyway, ms (default 5 000, platform/lifecycle.ts). */
  readonly stopDeadlineMs?: number;
  /**
   * Long-lived parts an entry point adds beside the agent's own: started after them, stopped before
   * them; the buffer is always stopped last.
   */
  readonly parts?: readonly Part[];
  /**
   * Asks the entry point to stop the agent and exit with RESTART_EXIT_CODE (agent/update/restart.ts),
   * so that the service manager starts the version `current` now points to. Without it an update
   * that switched versions only logs that a restart is due.
   */
  readonly restart?: (reason: string) => void;
  /** Fleet parts beside the agent's own (agent/fleet/part.ts): for tests of the fleet channel. */
  readonly fleetParts?: readonly FleetPart[];
  /** The remote config version this agent runs, for the health report; default: none (the local file). */
  readonly configVersion?: () => string | null;
}

/**
 * Composition root of the agent process: builds every part from the config and wires them
 * through the buffer. Parts start in dependency order and stop in reverse (platform/lifecycle.ts):
 * a part that throws or hangs while stopping never keeps the buffer from committing what it holds.
 */
export class Agent {
  readonly buffer: RecordBuffer;
  readonly poller: Poller;
  readonly alarms: AlarmEngine;
  /** Undefined when mqtt.enabled is false. */
  readonly broker: MqttBroker | undefined;
  readonly clockWatch: ClockWatch;
  /** One Prometheus registry for this agent, served at the status server's /metrics. */
  readonly metrics: AgentMetrics;
  /** Local paging when the uplink is down; undefined when paging.enabled is false. */
  /** Made at start() (its modules load only when paging is enabled); undefined when paging is off. */
  pager: Pager | undefined;
  /** Made at start() (it needs the gateway secret); undefined when sync is off. */
  sync: SyncClient | undefined;
  /** Made at start() (it needs the gateway secret); undefined when sync or fleet is off. */
  fleet: FleetClient | undefined;
  /** Made at start() (it reads ATALAYA_STATUS_TOKENS); undefined when status.enabled is false. */
  status: StatusServer | undefined;
  /** Made at start() (it reads the release public key); undefined when update.enabled is false. The fleet part `update`. */
  update: Updater | undefined;
  /** Records committed since start(): the new version's proof of health after an update. */
  private committedSinceStart = 0;
  private readonly deps: AgentDeps;
  private readonly clock: Clock;
  private readonly flags: () => number;
  private readonly bootId: string;
  private readonly logger: Logger;
  /** Set while started: what start() started, for stop(). */
  private lifecycle: Lifecycle | undefined;
  private readonly onCommitted: (records: readonly StoredRecord[]) => void;
  /** The applied config's version for the health report; null until the relay manages the config. */
  private readonly configVersion: () => string | null;

  constructor(
    readonly config: AgentConfig,
    deps: AgentDeps,
  ) {
    const clock = deps.clock ?? systemClock;
    const logger = deps.logger.child({ gateway: config.gateway.id });
    const bootId = deps.bootId ?? readBootId();
    const profiles = profileTable(config);
    this.deps = deps;
    this.configVersion = deps.configVersion ?? (() => null);
    this.clock = clock;
    this.bootId = bootId;
    this.logger = logger;
    this.clockWatch = new ClockWatch({ clock, logger, config: config.sync.clock });
    const flags = (): number => this.clockWatch.flags();
    this.metrics = createAgentMetrics({
      buffer: { stats: () => this.buffer.stats() },
      alarms: () => this.alarms.active(),
      devices: () => this.poller.devices.map((d) => ({ id: d.id, health: d.health })),
      links: () => [...this.poller.links.values()].map((l) => ({ id: l.id, stats: l.stats })),
      sync: () => this.sync?.status() ?? null,
      broker: () => this.broker?.stats() ?? null,
      clock,
    });
    this.buffer = new RecordBuffer({
      path: config.buffer.path,
      durability: config.buffer.durability,
      commitIntervalMs: config.buffer.commitIntervalMs,
      maxBatch: 5000,
      maxBytes: config.buffer.maxBytes,
      maxAgeMs: config.buffer.maxAgeDays * 86_400_000,
      minFreeBytes: config.buffer.minFreeBytes,
      clock,
      logger,
    });
    this.poller = new Poller({
      config,
      profiles,
      sink: droppingInvalid((records) => this.buffer.append(records).catch(reportedByBuffer), logger),
      clock,
      bootId,
      flags,
      logger,
      onPoll: (device, ok, latencyMs, code) => this.metrics.observePoll(device, ok, latencyMs, code),
    });
    this.alarms = new AlarmEngine({
      ...resolveAlarmRules(config.alarms, config.devices, profiles),
      sink: droppingInvalid((records) => this.buffer.append(records), logger),
      initial: () => this.buffer.alarmStates(),
      clock,
      bootId,
      flags,
      logger,
    });
    this.broker = config.mqtt.enabled
      ? new MqttBroker({
          config: config.mqtt,
          gatewayId: config.gateway.id,
          sink: (records, mark) => this.buffer.append(records, mark),
          sinkWith: (records, mark, done) => this.buffer.appendWith(records, mark, done),
          storedSeq: (stream) => this.buffer.deviceSeq(stream),
          onCommitted: (listener) => {
            this.buffer.on('committed', listener);
            return () => this.buffer.off('committed', listener);
          },
          bootId,
          flags,
          clock,
          logger,
        })
      : undefined;
    this.flags = flags;
    registerPagingMetrics(this.metrics.registry, () => this.pager?.status() ?? null);
    registerFleetMetrics(this.metrics.registry, () => this.fleet?.status() ?? null);
    registerMappingMetrics(this.metrics.registry, () => (config.mqtt.mappings.length === 0 ? null : this.broker?.stats().mappings));
    // Features meet through the buffer: alarms are evaluated on what was committed.
    this.onCommitted = (records) => {
      this.committedSinceStart += records.length;
      this.alarms.onRecords(records);
    };
  }

  /**
   * Buffer first (everything writes to it), then the clock watch, alarms, broker, poller, sync,
   * the status page (it shows all of them) and any deps.parts; on a failure, what started is
   * stopped, in reverse.
   */
  async start(): Promise<void> {
    if (this.lifecycle !== undefined) return;
    const lifecycle = new Lifecycle({ logger: this.logger, stopDeadlineMs: this.deps.stopDeadlineMs });
    this.lifecycle = lifecycle;
    try {
      // First: a missing gateway secret or a malformed status token must stop the start before anything runs.
      const http = await this.makeRelayClient();
      this.sync = await this.makeSync(http?.dispatcher);
      // Before the fleet client, which registers it as its part `update`.
      this.update = this.config.update.enabled ? await this.makeUpdater() : undefined;
      this.fleet = await makeFleetClient(this.config, {
        env: this.deps.env,
        clock: this.clock,
        logger: this.logger,
        bootId: this.bootId,
        buffer: this.buffer,
        poller: this.poller,
        clockWatch: this.clockWatch,
        sync: () => this.sync,
        broker: () => this.broker,
        configVersion: this.configVersion,
        parts: [...(this.deps.fleetParts ?? []), ...(this.update === undefined ? [] : [this.update])],
        dispatcher: http?.dispatcher,
      });
      this.status = await this.makeStatus();
      this.pager = this.config.paging.enabled ? await this.makePager(this.flags) : undefined;
      const { buffer, broker, sync, fleet, status, pager, update } = this;
      await lifecycle.start(
        {
          name: 'buffer',
          start: () => {
            buffer.start();
            buffer.on('committed', this.onCommitted);
          },
          stop: async () => {
            buffer.off('committed', this.onCommitted);
            await buffer.stop();
          },
        },
        namedPart('clock watch', this.clockWatch),
        namedPart('alarms', this.alarms),
        ...(broker === undefined ? [] : [namedPart('broker', broker)]),
        namedPart('poller', this.poller),
        // Sync and fleet share it; stopped after both.
        ...(http === undefined ? [] : [http.part]),
        ...(sync === undefined ? [] : [namedPart('sync', sync)]),
        ...(fleet === undefined ? [] : [namedPart('fleet', fleet)]),
        ...(pager === undefined ? [] : [namedPart('paging', pager)]),
        ...(status === undefined ? [] : [namedPart('status', status)]),
        // Last: it confirms an update only once everything above runs.
        ...(update === undefined ? [] : [namedPart('update', update)]),
        ...(this.deps.parts ?? []),
      );
    } catch (err) {
      this.lifecycle = undefined;
      throw err;
    }
  }

  /**
   * Stops every part in reverse, each under its own try/catch and deadline, the buffer last (it
   * commits what is still queued). Rejects with ATALAYA_PLATFORM_STOP_FAILED, once everything is
   * stopped, when some part failed. Idempotent.
   */
  async stop(): Promise<void> {
    const lifecycle = this.lifecycle;
    if (lifecycle === undefined) return;
    try {
      await lifecycle.stop();
    } finally {
      if (this.lifecycle === lifecycle) this.lifecycle = undefined;
    }
  }

  /** Where the status page listens once started (the real port when configured as 0). */
  get statusAddress(): { host: string; port: number } | undefined {
    return this.status?.address();
  }

  // The status page (Fastify) and sync (undici) are imported only when configured: a gateway that
  // runs without them does not keep their modules in memory (issue 18).
  private async makeStatus(): Promise<StatusServer | undefined> {
    const { status, gateway } = this.config;
    if (!status.enabled) return undefined;
    const tokens = statusTokenHashes(status.tokens, this.deps.env ?? process.env);
    const { StatusServer } = await import('./status/server.ts');
    const { buffer, poller, alarms } = this;
    const health = new Map(poller.devices.map((d) => [d.id, d.health]));
    return new StatusServer({
      listen: { host: status.host, port: status.port },
      tokens,
      sources: {
        gatewayId: gateway.id,
        bootId: this.bootId,
        buffer,
        bufferPath: this.config.buffer.path,
        devices: modbusDevices(this.config),
        health: (id) => health.get(id),
        registers: (id) => {
          const link = poller.linkOf(id);
          return link === undefined ? undefined : (unit, table, address, count) => link.read(unit, table, address, count);
        },
        alarms,
        sync: () => this.sync?.status() ?? null,
        broker: () => this.broker?.stats() ?? null,
        paging: () => this.pager?.status() ?? null,
        clockSynced: () => this.clockWatch.synced(),
        metrics: async () => ({ contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() }),
      },
      clock: this.clock,
      logger: this.logger,
    });
  }

  // Paging (serial port, SMTP, HTTP channels) is imported only when enabled, like status and sync.
  private async makePager(flags: () => number): Promise<Pager> {
    const [{ Pager }, { ModemChannel }, { buildChannels }] = await Promise.all([
      import('./paging/pager.ts'),
      import('./paging/modem.ts'),
      import('../platform/notify/channels.ts'),
    ]);
    const { paging, gateway, buffer } = this.config;
    const now = (): number => this.clock.now();
    const { modem, email, webhook } = paging.channels;
    const env = this.deps.env ?? process.env;
    return new Pager({
      config: paging,
      gatewayId: gateway.id,
      bufferPath: buffer.path,
      buffer: this.buffer,
      // At the pager's start: a LAN channel whose secret is missing stops the agent's start.
      channels: () => [
        ...(modem === undefined ? [] : [new ModemChannel({ config: modem, now, logger: this.logger })]),
        ...buildChannels({ email, webhook }, { clock: this.clock, env }).values(),
      ],
      channelKinds: [
        ...(modem === undefined ? [] : ['modem' as const]),
        ...(email === undefined ? [] : ['email' as const]),
        ...(webhook === undefined ? [] : ['webhook' as const]),
      ],
      clock: this.clock,
      bootId: this.bootId,
      flags,
      logger: this.logger,
    });
  }

  // Imported only when update is enabled (agent/update/compose.ts).
  private async makeUpdater(): Promise<Updater> {
    const { makeUpdater } = await import('./update/compose.ts');
    return makeUpdater(this.config, {
      healthy: () => this.committedSinceStart > 0 || (this.sync?.status().lastAckAt ?? null) !== null,
      restart: this.deps.restart,
      clock: this.clock,
      logger: this.logger,
    });
  }

  /** One HTTP client (keep-alive connection) to the relay for sync and the fleet channel; undefined when sync is off. */
  private async makeRelayClient(): Promise<{ dispatcher: Dispatcher; part: Part } | undefined> {
    const { sync } = this.config;
    if (!sync.enabled || sync.url === undefined) return undefined;
    const { createDispatcher } = await import('./sync/dispatcher.ts');
    const dispatcher = createDispatcher(sync);
    return { dispatcher, part: { name: 'relay http client', start: () => undefined, stop: () => dispatcher.close() } };
  }

  private async makeSync(dispatcher: Dispatcher | undefined): Promise<SyncClient | undefined> {
    const { sync, gateway } = this.config;
    if (!sync.enabled || sync.url === undefined) return undefined;
    const secret = loadGatewaySecret(sync, this.deps.env, this.logger);
    const { SyncClient } = await import('./sync/client.ts');
    return new SyncClient({
      config: { ...sync, url: sync.url },
      gatewayId: gateway.id,
      secret,
      buffer: this.buffer,
      clock: this.clock,
      bootId: this.bootId,
      clockSynced: () => this.clockWatch.synced(),
      logger: this.logger,
      onAcknowledged: () => this.fleet?.nudge(),
      ...(dispatcher === undefined ? {} : { dispatcher }),
    });
  }
}

/** Swallows only the failures the buffer itself reports (failed commits); anything else still rejects. */
function reportedByBuffer(err: unknown): number[] {
  if (isBufferError(err, BUFFER_WRITE_FAILED)) return [];
  throw err;
}
