/**
 * The append-only audit (issue 15 §4): one entry per write, with who acted (the principal's
 * name, user id and organization), when, the action, its target and what changed. `details`
 * must never carry a password, token or credential: callers pass only names, roles and values.
 */
import type { Clock } from '../../protocols/clock.ts';
import type { AuditEntry, AuditQuery, IdentityStore } from '../store/identity-types.ts';
import type { Principal } from './principal.ts';

/** Audit actions, one word per kind of write; `GET /v1/audit?action=` filters on them. */
export const AUDIT_ACTIONS = [
  'alert.ack',
  'dga.review',
  'dga.retry',
  'dga.credentials',
  'gateway.provision',
  'gateway.config',
  'gateway.command',
  'release.add',
  'release.rollout',
  'source.add',
  'anchor.manual',
  'user.add',
  'user.passwd',
  'user.disable',
  'user.enable',
  'user.locked',
  'token.add',
  'token.revoke',
  'session.login',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export class Auditor {
  constructor(
    private readonly store: IdentityStore,
    private readonly clock: Clock,
  ) {}

  /**
   * Records one write. `orgId` defaults to the principal's (the target's organization when known is
   * better). `by` is a principal, or for a write made on someone's behalf without one (an alert's
   * ack passed on to its gateway) just the name it was made by.
   */
  async record(
    by: Pick<Principal, 'name' | 'userId' | 'orgId'>,
    action: AuditAction,
    target: string | null,
    details: Readonly<Record<string, unknown>> = {},
    orgId: string | null = by.orgId,
  ): Promise<number> {
    return this.store.appendAudit({ at: this.clock.now(), actor: by.name, userId: by.userId, orgId, action, target, details });
  }

  query(q: AuditQuery): Promise<AuditEntry[]> {
    return this.store.queryAudit(q);
  }
}

/** The principal of a CLI command run on the relay's host: the platform owner, named after the OS user. */
export function cliPrincipal(osUser: string): Principal {
  return { kind: 'operator', name: `cli:${osUser}`, userId: null, orgId: null, role: 'owner' };
}
