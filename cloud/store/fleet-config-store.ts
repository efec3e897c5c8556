/**
 * Desired agent configs per gateway (issue 16 §2): versions 1, 2, … each kept with who set it,
 * when, and its sha256; and what the gateway reported about them, one row per change. The same
 * statements on SQLite and PostgreSQL (sql-executor.ts).
 */
import type { ConfigState } from '../../protocols/fleet/config-wire.ts';
import type { SqlExecutor } from './sql-executor.ts';

export type ConfigReportState = ConfigState;

export interface DesiredConfig {
  readonly gateway: string;
  readonly version: number;
  readonly yaml: string;
  readonly sha256: string;
  readonly setBy: string;
  readonly setAt: number;
}

export interface ConfigReport {
  readonly id: number;
  readonly gateway: string;
  /** The version the state is about (null: the local file). */
  readonly version: number | null;
  /** The version the gateway runs afterwards (null: its local file). */
  readonly applied: number | null;
  readonly state: ConfigReportState;
  readonly reason: string | null;
  readonly at: number;
}

const CONFIG_COLUMNS = 'gateway, version, yaml, sha256, set_by AS "setBy", set_at AS "setAt"';
const REPORT_COLUMNS = 'id, gateway, version, applied, state, reason, at';

const SQL = {
  latest: `SELECT ${CONFIG_COLUMNS} FROM fleet_configs WHERE gateway = $1 ORDER BY version DESC LIMIT 1`,
  version: `SELECT ${CONFIG_COLUMNS} FROM fleet_configs WHERE gateway = $1 AND version = $2`,
  history: `SELECT ${CONFIG_COLUMNS} FROM fleet_configs WHERE gateway = $1 ORDER BY version`,
  nextVersion: 'SELECT coalesce(max(version), 0) + 1 AS "next" FROM fleet_configs WHERE gateway = $1',
  insert: 'INSERT INTO fleet_configs (gateway, version, yaml, sha256, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6)',
  lastReport: `SELECT ${REPORT_COLUMNS} FROM fleet_config_reports WHERE gateway = $1 ORDER BY id DESC LIMIT 1`,
  reports: `SELECT ${REPORT_COLUMNS} FROM fleet_config_reports WHERE gateway = $1 ORDER BY id`,
  insertReport: 'INSERT INTO fleet_config_reports (gateway, version, applied, state, reason, at) VALUES ($1, $2, $3, $4, $5, $6)',
} as const;

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const config = (r: DesiredConfig): DesiredConfig => ({ ...r, version: num(r.version), setAt: num(r.setAt) });
const report = (r: ConfigReport): ConfigReport => ({ ...r, id: num(r.id), version: numOrNull(r.version), applied: numOrNull(r.applied), at: num(r.at) });

export class SqlFleetConfigStore {
  constructor(private readonly executor: SqlExecutor) {}

  /** Stores the next version for the gateway in one transaction (versions never collide across relays). */
  async set(gateway: string, yaml: string, sha256: string, setBy: string, now: number): Promise<DesiredConfig> {
    return this.executor.transaction('fleet config set', async (q) => {
      const next = num((await q<{ next: unknown }>(SQL.nextVersion, [gateway])).rows[0]?.next ?? 1);
      await q(SQL.insert, [gateway, next, yaml, sha256, setBy, now]);
      return { gateway, version: next, yaml, sha256, setBy, setAt: now };
    });
  }

  async latest(gateway: string): Promise<DesiredConfig | undefined> {
    const row = (await this.executor.query<DesiredConfig>(SQL.latest, [gateway])).rows[0];
    return row === undefined ? undefined : config(row);
  }

  async version(gateway: string, version: number): Promise<DesiredConfig | undefined> {
    const row = (await this.executor.query<DesiredConfig>(SQL.version, [gateway, version])).rows[0];
    return row === undefined ? undefined : config(row);
  }

  async history(gateway: string): Promise<DesiredConfig[]> {
    return (await this.executor.query<DesiredConfig>(SQL.history, [gateway])).rows.map(config);
  }

  async lastReport(gateway: string): Promise<ConfigReport | undefined> {
    const row = (await this.executor.query<ConfigReport>(SQL.lastReport, [gateway])).rows[0];
    return row === undefined ? undefined : report(row);
  }

  async reports(gateway: string): Promise<ConfigReport[]> {
    return (await this.executor.query<ConfigReport>(SQL.reports, [gateway])).rows.map(report);
  }

  /** Appends the report when it differs from the last one (a gateway repeats its state on every poll). Returns whether it did. */
  async report(gateway: string, r: Omit<ConfigReport, 'id' | 'gateway' | 'at'>, now: number): Promise<boolean> {
    return this.executor.transaction('fleet config report', async (q) => {
      const last = (await q<ConfigReport>(SQL.lastReport, [gateway])).rows[0];
      const prev = last === undefined ? undefined : report(last);
      if (prev !== undefined && prev.version === r.version && prev.applied === r.applied && prev.state === r.state && prev.reason === r.reason) return false;
      await q(SQL.insertReport, [gateway, r.version, r.applied, r.state, r.reason, now]);
      return true;
    });
  }
}
