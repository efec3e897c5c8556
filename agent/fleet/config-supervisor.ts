/**
 * Runs the agent on its effective config and swaps it for another in the same process (issue 16
 * §2): a remote config installed by the `config` part, a rollback, or SIGHUP. A swap stops the
 * running agent (every part in reverse, the buffer last, nothing lost) and starts one built on the
 * new config: devices, intervals, alarms, MQTT users, sync and status settings all take effect
 * without the process exiting, so systemd sees no restart.
 *
 * Start-up resolves an interrupted apply: a remote config still on probation when the process
 * died (SIGKILL, power cut, crash) is rolled back to the last good config, so a config that kills
 * the agent cannot keep a gateway down.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../protocols/clock.ts';
import { ConfigError } from '../../protocols/config-errors.ts';
import { loadConfigFile } from '../config/load.ts';
import type { AgentConfig } from '../config/schema.ts';
import { RemoteConfigFiles } from './config-files.ts';
import { ConfigPart } from './config-part.ts';
import { Probation, type ProbationSignals } from './config-probation.ts';

/** What the supervisor needs of a running agent. */
export interface SupervisedAgent {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly signals: ProbationSignals;
  /** Tells the relay now (a fleet poll), e.g. once a config is confirmed; optional. */
  pollFleetNow?(): void;
}

/** Fleet parts the supervisor adds to every agent it builds (the config part, and the caller's). */
export interface SupervisedPart {
  readonly name: string;
  report(): unknown;
  apply(answer: unknown): Promise<void>;
}

export interface ConfigSupervisorOptions {
  /** The local config file (-c); remote files live beside it. */
  readonly localConfig: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Builds an agent on a config with these fleet parts registered. */
  readonly makeAgent: (config: AgentConfig, parts: readonly SupervisedPart[]) => SupervisedAgent;
  /** Fleet parts besides `config` (commands), made per agent. */
  readonly parts?: (config: AgentConfig) => readonly SupervisedPart[];
  /** How long a remote config has to prove itself, ms (fleet.configProbationMs). */
  readonly probationMs: (config: AgentConfig) => number;
}

export class ConfigSupervisor {
  readonly files: RemoteConfigFiles;
  private readonly log: Logger;
  private agent: SupervisedAgent | undefined;
  private current: AgentConfig | undefined;
  private probation: Probation | undefined;
  /** Swaps run one after another. */
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly o: ConfigSupervisorOptions) {
    this.files = new RemoteConfigFiles(o.localConfig);
    this.log = o.logger.child({ component: 'fleet-config' });
  }

  /** The config the agent runs now. */
  get config(): AgentConfig | undefined {
    return this.current;
  }

  /** Loads the effective config (rolling back an interrupted probation first) and starts the agent on it. */
  async start(): Promise<void> {
    const state = this.files.state();
    if (state.probationSince !== null) {
      this.log.warn({ version: state.version }, 'the agent stopped while a remote config was on probation: rolling back');
      this.files.rollback('the agent stopped while the config was on probation');
    }
    await this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain.catch(() => undefined);
    this.probation?.stop();
    this.probation = undefined;
    const agent = this.agent;
    this.agent = undefined;
    await agent?.stop();
  }

  /** SIGHUP / `systemctl reload`: re-reads the effective file with the same validation; an invalid one is logged and the agent keeps running. */
  reload(why: string): Promise<void> {
    const next = this.chain.then(async () => {
      if (this.stopped) return;
      try {
        loadConfigFile(this.files.effective());
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        this.log.error({ file: this.files.effective(), problems: err.problems }, 'config not reloaded: invalid; the agent keeps its running config');
        return;
      }
      this.log.info({ why, file: this.files.effective() }, 'reloading config');
      await this.swap();
    });
    this.chain = next.catch((err: unknown) => this.log.error({ err }, 'config reload failed'));
    return next;
  }

  private async swap(): Promise<void> {
    this.probation?.stop();
    this.probation = undefined;
    const old = this.agent;
    this.agent = undefined;
    await old?.stop();
    await this.run();
    this.log.info({ file: this.files.effective(), devices: this.current?.devices.length }, 'agent started on the reloaded config');
  }

  /** Builds and starts the agent on the effective config; a remote config that fails to load or start is rolled back at once. */
  private async run(): Promise<void> {
    let config: AgentConfig;
    try {
      config = loadConfigFile(this.files.effective());
    } catch (err) {
      if (!(err instanceof ConfigError) || this.files.effective() === this.o.localConfig) throw err;
      this.files.rollback(`the config could not be loaded: ${err.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
      return this.run();
    }
    const parts: SupervisedPart[] = [
      new ConfigPart({
        files: this.files,
        gatewayId: config.gateway.id,
        clock: this.o.clock,
        logger: this.o.logger,
        // After this poll's answer is handled: the swap stops the fleet client, which waits for it.
        reload: (why) => {
          setImmediate(() => void this.reload(why));
        },
      }),
      ...(this.o.parts?.(config) ?? []),
    ];
    const agent = this.o.makeAgent(config, parts);
    try {
      await agent.start();
    } catch (err) {
      const state = this.files.state();
      if (state.probationSince === null) throw err;
      this.log.error({ err, version: state.version }, 'the agent did not start on the remote config: rolling back');
      this.files.rollback(`the agent did not start on it: ${(err as { code?: string }).code ?? 'error'}`);
      return this.run();
    }
    this.agent = agent;
    this.current = config;
    this.watch(agent, config);
  }

  private watch(agent: SupervisedAgent, config: AgentConfig): void {
    const state = this.files.state();
    if (state.probationSince === null) return;
    const probationMs = this.o.probationMs(config);
    this.probation = new Probation({
      signals: agent.signals,
      since: state.probationSince,
      probationMs,
      clock: this.o.clock,
      onVerdict: (verdict) => {
        if (this.agent !== agent || this.stopped) return;
        if (verdict.ok) {
          this.files.confirm();
          this.log.info({ version: state.version }, 'remote config confirmed');
          agent.pollFleetNow?.();
          return;
        }
        this.log.warn({ version: state.version, reason: verdict.reason }, 'remote config rolled back');
        this.chain = this.chain
          .then(async () => {
            if (this.agent !== agent || this.stopped) return;
            this.files.rollback(verdict.reason);
            await this.swap();
          })
          .catch((err: unknown) => this.log.error({ err }, 'rolling back the config failed'));
      },
    });
    this.probation.start();
  }
}
