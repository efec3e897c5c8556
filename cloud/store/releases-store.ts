/**
 * Releases, rollouts, groups and update reports (issue 16 §4; migrations-releases.ts): the same
 * statements on SQLite and PostgreSQL (sql-executor.ts).
 */
import type { Rollout, RolloutTarget, UpdateReport } from '../../protocols/release/index.ts';
import type { SqlExecutor } from './sql-executor.ts';

export interface StoredRelease {
  readonly version: string;
  readonly file: string;
  readonly size: number;
  readonly sha256: string;
  /** The signed manifest file's bytes, as text. */
  readonly manifest: string;
  readonly signature: string;
  readonly addedBy: string;
  readonly addedAt: number;
}

export interface StoredRollout extends Rollout {
  readonly actor: string;
  readonly createdAt: number;
}

export interface StoredReport extends UpdateReport {
  readonly gateway: string;
  readonly updatedAt: number;
}

const RELEASE_COLUMNS = 'version, file, size, sha256, manifest, signature, added_by AS "addedBy", added_at AS "addedAt"';
const ROLLOUT_COLUMNS = 'id, version, target_kind AS "targetKind", target, percent, actor, created_at AS "createdAt"';
const REPORT_COLUMNS = 'gateway, current, state, target, progress, reason, updated_at AS "updatedAt"';

const SQL = {
  addRelease: `INSERT INTO releases (version, file, size, sha256, manifest, signature, added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (version) DO NOTHING`,
  release: `SELECT ${RELEASE_COLUMNS} FROM releases WHERE version = $1`,
  releases: `SELECT ${RELEASE_COLUMNS} FROM releases ORDER BY added_at, version`,
  addRollout: 'INSERT INTO release_rollouts (version, target_kind, target, percent, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
  rollouts: `SELECT ${ROLLOUT_COLUMNS} FROM release_rollouts ORDER BY id`,
  addMember: 'INSERT INTO release_groups (grp, gateway) VALUES ($1, $2) ON CONFLICT DO NOTHING',
  removeMember: 'DELETE FROM release_groups WHERE grp = $1 AND gateway = $2',
  groupsOf: 'SELECT grp FROM release_groups WHERE gateway = $1',
  members: 'SELECT grp, gateway FROM release_groups ORDER BY grp, gateway',
  report: `INSERT INTO release_reports (gateway, current, state, target, progress, reason, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (gateway) DO UPDATE SET current = excluded.current, state = excluded.state, target = excluded.target,
      progress = excluded.progress, reason = excluded.reason, updated_at = excluded.updated_at`,
  reportOf: `SELECT ${REPORT_COLUMNS} FROM release_reports WHERE gateway = $1`,
  reports: `SELECT ${REPORT_COLUMNS} FROM release_reports ORDER BY gateway`,
} as const;

interface RolloutRow {
  id: number | string;
  version: string;
  targetKind: RolloutTarget['kind'];
  target: string | null;
  percent: number | string;
  actor: string;
  createdAt: number | string;
}

function rollout(r: RolloutRow): StoredRollout {
  const target: RolloutTarget = r.targetKind === 'all' ? { kind: 'all' } : { kind: r.targetKind, id: r.target ?? '' };
  return { id: Number(r.id), version: r.version, target, percent: Number(r.percent), actor: r.actor, createdAt: Number(r.createdAt) };
}

function report(r: StoredReport & { target: string | null; reason: string | null }): StoredReport {
  const { target, reason, ...rest } = r;
  return {
    ...rest,
    progress: Number(r.progress),
    updatedAt: Number(r.updatedAt),
    ...(target === null ? {} : { target }),
    ...(reason === null ? {} : { reason }),
  };
}

const release = (r: StoredRelease): StoredRelease => ({ ...r, size: Number(r.size), addedAt: Number(r.addedAt) });

export class SqlReleasesStore {
  constructor(private readonly db: SqlExecutor) {}

  /** False when that version exists already (versions are immutable). */
  async addRelease(r: StoredRelease): Promise<boolean> {
    const { count } = await this.db.query(SQL.addRelease, [r.version, r.file, r.size, r.sha256, r.manifest, r.signature, r.addedBy, r.addedAt]);
    return count === 1;
  }

  async release(version: string): Promise<StoredRelease | undefined> {
    const row = (await this.db.query<StoredRelease>(SQL.release, [version])).rows[0];
    return row === undefined ? undefined : release(row);
  }

  async releases(): Promise<StoredRelease[]> {
    return (await this.db.query<StoredRelease>(SQL.releases, [])).rows.map(release);
  }

  async addRollout(version: string, target: RolloutTarget, percent: number, actor: string, now: number): Promise<number> {
    const id = target.kind === 'all' ? null : target.id;
    const { rows } = await this.db.query<{ id: number | string }>(SQL.addRollout, [version, target.kind, id, percent, actor, now]);
    return Number(rows[0]!.id);
  }

  async rollouts(): Promise<StoredRollout[]> {
    return (await this.db.query<RolloutRow>(SQL.rollouts, [])).rows.map(rollout);
  }

  async setMember(group: string, gateway: string, member: boolean): Promise<void> {
    await this.db.query(member ? SQL.addMember : SQL.removeMember, [group, gateway]);
  }

  async groupsOf(gateway: string): Promise<Set<string>> {
    return new Set((await this.db.query<{ grp: string }>(SQL.groupsOf, [gateway])).rows.map((r) => r.grp));
  }

  async members(): Promise<Array<{ grp: string; gateway: string }>> {
    return (await this.db.query<{ grp: string; gateway: string }>(SQL.members, [])).rows;
  }

  async report(gateway: string, r: UpdateReport, now: number): Promise<void> {
    await this.db.query(SQL.report, [gateway, r.current, r.state, r.target ?? null, r.progress, r.reason ?? null, now]);
  }

  async reportOf(gateway: string): Promise<StoredReport | undefined> {
    const row = (await this.db.query<StoredReport & { target: string | null; reason: string | null }>(SQL.reportOf, [gateway])).rows[0];
    return row === undefined ? undefined : report(row);
  }

  async reports(): Promise<StoredReport[]> {
    return (await this.db.query<StoredReport & { target: string | null; reason: string | null }>(SQL.reports, [])).rows.map(report);
  }
}
