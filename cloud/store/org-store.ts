/**
 * Organizations (issue 15 §1): who owns gateways, and through them records, obras, proofs and
 * alerts (the rule is in migrations-orgs.ts). Few rows, written by the CLI only; the relay reads
 * an organization's gateways through the records store (`listGateways(org)`).
 */
import { orgExists, unknownGateway, unknownOrg } from './errors.ts';
import type { SqlExecutor } from './sql-executor.ts';

export interface Organization {
  readonly id: string;
  readonly name: string;
  /** ms since the epoch */
  readonly createdAt: number;
  /** Gateways it owns. */
  readonly gateways: number;
}

/** A slug: URLs, tokens and the CLI carry it. */
export const ORG_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const SQL = {
  insert: 'INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
  get: 'SELECT id, name, created_at AS "createdAt" FROM organizations WHERE id = $1',
  // Organizations are a handful; the per-organization count walks the index gateways_org.
  list: `SELECT o.id, o.name, o.created_at AS "createdAt", (SELECT count(*) FROM gateways g WHERE g.org_id = o.id) AS gateways
    FROM organizations o ORDER BY o.id`,
  orgOfGateway: 'SELECT org_id AS "orgId" FROM gateways WHERE id = $1',
  moveGateway: 'UPDATE gateways SET org_id = $2 WHERE id = $1',
} as const;

export class SqlOrgStore {
  constructor(private readonly db: SqlExecutor) {}

  /** Refuses a taken id with ATALAYA_STORE_ORG_EXISTS. */
  async add(id: string, name: string, now: number): Promise<void> {
    if ((await this.db.query(SQL.insert, [id, name, now])).count === 0) throw orgExists(id);
  }

  async get(id: string): Promise<Omit<Organization, 'gateways'> | undefined> {
    return (await this.db.query<Omit<Organization, 'gateways'>>(SQL.get, [id])).rows[0];
  }

  async list(): Promise<Organization[]> {
    return (await this.db.query<Organization>(SQL.list, [])).rows.map((r) => ({ ...r, gateways: Number(r.gateways) }));
  }

  /** The organization a gateway belongs to; undefined for an unknown gateway. */
  async orgOfGateway(gateway: string): Promise<string | undefined> {
    return (await this.db.query<{ orgId: string }>(SQL.orgOfGateway, [gateway])).rows[0]?.orgId;
  }

  /**
   * Moves a gateway, with everything that follows it (records, obras, proofs), to another
   * organization. Alerts already opened keep the organization they were opened in.
   */
  async moveGateway(gateway: string, org: string): Promise<void> {
    await this.db.transaction('move gateway', async (q) => {
      if ((await q(SQL.get, [org])).rows.length === 0) throw unknownOrg(org);
      if ((await q(SQL.moveGateway, [gateway, org])).count === 0) throw unknownGateway(gateway);
    });
  }
}
