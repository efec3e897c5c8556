/**
 * Desired agent configs at the relay (issue 16 §2): validated with the agent's own schema and
 * cross-checks (protocols/agent-config) before a version is stored, so an invalid config is refused
 * with the same path-level problems and never reaches a gateway; delivered over the fleet channel
 * as the `config` part to a gateway that has not yet tried that version; what the gateway reports
 * (applied, refused, rolled back) is kept per change.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { parseConfigText } from '../../protocols/agent-config/parse.ts';
import type { Clock } from '../../protocols/clock.ts';
import { type ConfigAnswer, configReportSchema } from '../../protocols/fleet/config-wire.ts';
import type { ConfigReport, DesiredConfig, SqlFleetConfigStore } from '../store/fleet-config-store.ts';

export interface ConfigServiceOptions {
  readonly store: SqlFleetConfigStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** What GET …/config shows: the desired version and what the gateway last said. */
export interface ConfigView {
  readonly desired: Omit<DesiredConfig, 'yaml'> | null;
  readonly yaml: string | null;
  /** The gateway's last report: `{ version, applied, state, reason, at }`; null before its first. */
  readonly gateway: Omit<ConfigReport, 'id' | 'gateway'> | null;
  /** in_sync: the gateway runs the desired version and confirmed it; pending: not yet tried; otherwise the gateway's state about it. */
  readonly status: 'none' | 'in_sync' | 'pending' | 'probation' | 'refused' | 'rolled_back';
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export class ConfigService {
  readonly name = 'config';
  private readonly logger: Logger;

  constructor(private readonly options: ConfigServiceOptions) {
    this.logger = options.logger.child({ component: 'fleet-config' });
  }

  /** Validates (throws ConfigError, ATALAYA_CONFIG_INVALID, with every problem's path) and stores the next version. */
  async set(gatewayId: string, yaml: string, actor: string): Promise<DesiredConfig> {
    parseConfigText(yaml, `gateway ${gatewayId} config`, gatewayId);
    const stored = await this.options.store.set(gatewayId, yaml, sha256Hex(yaml), actor, this.options.clock.now());
    this.logger.info({ gateway: gatewayId, version: stored.version, sha256: stored.sha256, actor }, 'desired config set');
    return stored;
  }

  async view(gatewayId: string, version?: number): Promise<ConfigView> {
    const { store } = this.options;
    const desired = version === undefined ? await store.latest(gatewayId) : await store.version(gatewayId, version);
    const last = await store.lastReport(gatewayId);
    const { yaml = null, ...meta } = desired ?? {};
    return {
      desired: desired === undefined ? null : (meta as Omit<DesiredConfig, 'yaml'>),
      yaml,
      gateway: last === undefined ? null : { version: last.version, applied: last.applied, state: last.state, reason: last.reason, at: last.at },
      status: statusOf(desired?.version, last),
    };
  }

  /** Every version with who set it and when, and every change the gateway reported. */
  async history(gatewayId: string): Promise<{ versions: Array<Omit<DesiredConfig, 'yaml'>>; reports: ConfigReport[] }> {
    const versions = (await this.options.store.history(gatewayId)).map(({ yaml: _yaml, ...meta }) => meta);
    return { versions, reports: await this.options.store.reports(gatewayId) };
  }

  /** FleetRelayPart: the gateway's `config` report. A malformed one is logged and ignored. */
  async onReport(gatewayId: string, report: unknown, now: number): Promise<void> {
    const parsed = configReportSchema.safeParse(report);
    if (!parsed.success) {
      this.logger.warn({ gateway: gatewayId }, 'malformed config report ignored');
      return;
    }
    const r = parsed.data;
    const changed = await this.options.store.report(gatewayId, { version: r.version, applied: r.applied, state: r.state, reason: r.reason }, now);
    if (changed) this.logger.info({ gateway: gatewayId, version: r.version, applied: r.applied, state: r.state, reason: r.reason }, 'gateway config state');
  }

  /** FleetRelayPart: the desired config, when the gateway has not yet tried that version. */
  async answer(gatewayId: string, _now: number): Promise<ConfigAnswer | undefined> {
    const desired = await this.options.store.latest(gatewayId);
    if (desired === undefined) return undefined;
    const last = await this.options.store.lastReport(gatewayId);
    if (last !== undefined && (last.version === desired.version || last.applied === desired.version)) return undefined;
    return { version: desired.version, yaml: desired.yaml, sha256: desired.sha256 };
  }
}

function statusOf(desired: number | undefined, last: ConfigReport | undefined): ConfigView['status'] {
  if (desired === undefined) return 'none';
  if (last === undefined) return 'pending';
  if (last.version === desired && (last.state === 'probation' || last.state === 'refused' || last.state === 'rolled_back')) return last.state;
  if (last.applied === desired) return 'in_sync';
  return 'pending';
}
