/**
 * A provider source's virtual gateway belongs to the source's organization (issue 15 §1 on issue
 * 17): `atalaya relay source add --org` stored the organization on the source but left the
 * gateway `src-<id>` (and so its records, alarms and alerts) in `default`. This step moves each
 * such gateway, and the alerts copied from it, into its source's organization when that exists.
 * Never edit it once released: add a step.
 */
import type { PostgresMigration } from './migrations-postgres.ts';
import type { SqliteMigration } from './migrations-sqlite.ts';

const NAME = "sources: a source's virtual gateway in the source's organization";

// The same statements on both backends; a source naming no existing organization is left as is.
const SQL = `
  UPDATE gateways SET org_id = (SELECT s.org FROM sources s WHERE s.gateway = gateways.id)
    WHERE id IN (SELECT s.gateway FROM sources s JOIN organizations o ON o.id = s.org);
  UPDATE alerts SET org_id = (SELECT g.org_id FROM gateways g WHERE g.id = alerts.gateway)
    WHERE gateway IN (SELECT s.gateway FROM sources s);
`;

export const SOURCES_ORG_MIGRATION_SQLITE: SqliteMigration = { name: NAME, sql: SQL };
export const SOURCES_ORG_MIGRATION_POSTGRES: PostgresMigration = { name: NAME, sql: SQL };
