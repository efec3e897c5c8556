/**
 * The relay's audit (cloud/identity/audit.ts) for the writes made from the CLI on the relay's
 * host (issue 15 §4): gateway provisioning, DGA retries, credentials and review actions, anchor
 * manual actions, user and token changes. The actor is `cli:<OS user>` (or the review's --by),
 * the organization that of the gateway or obra acted on. Never a secret in `details`.
 */
import os from 'node:os';
import type { RelayConfig } from '../cloud/config/schema.ts';
import { type AuditAction, Auditor, cliPrincipal } from '../cloud/identity/audit.ts';
import { systemClock } from '../protocols/clock.ts';
import { withRelayDatabase } from './relay-database.ts';

export interface CliAuditEntry {
  readonly action: AuditAction;
  readonly target: string | null;
  readonly details?: Readonly<Record<string, unknown>>;
  /** The organization is that of this gateway, or of this obra's gateway; none: platform-level. */
  readonly gateway?: string;
  readonly obra?: string;
  /** Who acts, when not the OS user (dga review --by). */
  readonly actor?: string;
}

/** Appends one entry; a failure is reported on stderr (the change itself is done) and returned as false. */
export async function auditFromCli(config: RelayConfig, entry: CliAuditEntry): Promise<boolean> {
  const principal = cliPrincipal(os.userInfo().username);
  const by = entry.actor === undefined ? principal : { ...principal, name: entry.actor };
  try {
    await withRelayDatabase(config.storage, async (database) => {
      const gateway = entry.gateway ?? config.dga.obras.find((o) => o.code === entry.obra)?.gateway;
      const orgId = gateway === undefined ? null : ((await database.orgs.orgOfGateway(gateway)) ?? null);
      await new Auditor(database.identity, systemClock).record(by, entry.action, entry.target, entry.details ?? {}, orgId);
    });
    return true;
  } catch (err) {
    process.stderr.write(`warning: the change is made but could not be audited (${(err as Error).message})\n`);
    return false;
  }
}
