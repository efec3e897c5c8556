/**
 * Remote commands to a gateway (issue 16 §3), audited with who issued them, and the outcome the
 * gateway reported. A command is pending until its outcome arrives; one without an outcome after
 * expires_at is shown expired (the gateway refuses it by then anyway).
 */
import type { CommandKind, OutcomeStatus } from '../../protocols/fleet/commands-wire.ts';
import type { SqlExecutor } from './sql-executor.ts';

export interface FleetCommand {
  readonly id: string;
  readonly gateway: string;
  readonly kind: CommandKind;
  readonly args: Record<string, unknown>;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly deliveredAt: number | null;
  readonly outcomeStatus: OutcomeStatus | null;
  /** `{ result }` when ok, `{ reason }` otherwise. */
  readonly outcome: Record<string, unknown> | null;
  readonly outcomeAt: number | null;
}

type Row = Omit<FleetCommand, 'args' | 'outcome'> & { args: string; outcome: string | null };

const COLUMNS = `id, gateway, kind, args, created_by AS "createdBy", created_at AS "createdAt", expires_at AS "expiresAt", delivered_at AS "deliveredAt",
  outcome_status AS "outcomeStatus", outcome, outcome_at AS "outcomeAt"`;

const SQL = {
  insert: 'INSERT INTO fleet_commands (id, gateway, kind, args, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
  get: `SELECT ${COLUMNS} FROM fleet_commands WHERE id = $1`,
  list: `SELECT ${COLUMNS} FROM fleet_commands WHERE gateway = $1 ORDER BY created_at DESC, id LIMIT $2`,
  pending: `SELECT ${COLUMNS} FROM fleet_commands WHERE gateway = $1 AND outcome_status IS NULL AND expires_at > $2 ORDER BY created_at, id LIMIT $3`,
  delivered: 'UPDATE fleet_commands SET delivered_at = $2 WHERE id = $1 AND delivered_at IS NULL',
  outcome: `UPDATE fleet_commands SET outcome_status = $3, outcome = $4, outcome_at = $5 WHERE id = $1 AND gateway = $2 AND outcome_status IS NULL`,
} as const;

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const decode = (r: Row): FleetCommand => ({
  ...r,
  args: JSON.parse(r.args) as Record<string, unknown>,
  outcome: r.outcome === null ? null : (JSON.parse(r.outcome) as Record<string, unknown>),
  createdAt: num(r.createdAt),
  expiresAt: num(r.expiresAt),
  deliveredAt: numOrNull(r.deliveredAt),
  outcomeAt: numOrNull(r.outcomeAt),
});

export interface NewCommand {
  readonly id: string;
  readonly gateway: string;
  readonly kind: CommandKind;
  readonly args: Record<string, unknown>;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export class SqlFleetCommandsStore {
  constructor(private readonly executor: SqlExecutor) {}

  async insert(c: NewCommand): Promise<FleetCommand> {
    await this.executor.query(SQL.insert, [c.id, c.gateway, c.kind, JSON.stringify(c.args), c.createdBy, c.createdAt, c.expiresAt]);
    return { ...c, deliveredAt: null, outcomeStatus: null, outcome: null, outcomeAt: null };
  }

  async get(id: string): Promise<FleetCommand | undefined> {
    const row = (await this.executor.query<Row>(SQL.get, [id])).rows[0];
    return row === undefined ? undefined : decode(row);
  }

  async list(gateway: string, limit = 100): Promise<FleetCommand[]> {
    return (await this.executor.query<Row>(SQL.list, [gateway, limit])).rows.map(decode);
  }

  /** Commands still to deliver (no outcome yet, not expired), oldest first; marks first deliveries. */
  async pending(gateway: string, now: number, limit = 20): Promise<FleetCommand[]> {
    const rows = (await this.executor.query<Row>(SQL.pending, [gateway, now, limit])).rows.map(decode);
    for (const r of rows) if (r.deliveredAt === null) await this.executor.query(SQL.delivered, [r.id, now]);
    return rows;
  }

  /** Stores an outcome once (the first report wins; a repeated one changes nothing). Returns whether it was new. */
  async outcome(gateway: string, id: string, status: OutcomeStatus, outcome: Record<string, unknown>, at: number): Promise<boolean> {
    const { count } = await this.executor.query(SQL.outcome, [id, gateway, status, JSON.stringify(outcome), at]);
    return count > 0;
  }
}
