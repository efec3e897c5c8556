/**
 * Who acts on a request (issue 15): every authenticated relay request carries one principal.
 * `orgId` is null only for the platform owner, who sees every organization; every other
 * principal sees only its own organization's gateways, records, obras, proofs and alerts.
 */
import type { FastifyRequest } from 'fastify';
import { IDENTITY_NO_PRINCIPAL, identityError } from './errors.ts';

/** The roles of issue 15: `owner` is platform-wide, the others are per organization. */
export const ROLES = ['owner', 'admin', 'compliance', 'technician', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** How the request proved who it is: a dashboard session cookie, a user's API token, or a config (operator) token. */
export type PrincipalKind = 'session' | 'token' | 'operator';

export interface Principal {
  readonly kind: PrincipalKind;
  /** The user name, or the operator token's name: what the audit records as the actor. */
  readonly name: string;
  /** The user's id; null for an operator (config) token. */
  readonly userId: string | null;
  /** The organization the principal acts in; null only for the owner (sees everything). */
  readonly orgId: string | null;
  readonly role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication preHandler; absent on unauthenticated routes (ingest, health). */
    principal?: Principal;
  }
}

/** The id of the organization existing single-tenant installs upgrade into. */
export const DEFAULT_ORG_ID = 'default';

/** The organization filter a store query applies for a principal: null means every organization. */
export function orgFilterOf(principal: Principal): string | null {
  return principal.orgId;
}

/** The request's principal; a route behind the authentication preHandler always has one. */
export function principalOf(request: FastifyRequest): Principal {
  const p = request.principal;
  if (p === undefined) throw identityError(IDENTITY_NO_PRINCIPAL, 'route is not behind authentication');
  return p;
}
