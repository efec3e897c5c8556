/**
 * Organization scope of the relay's APIs (issue 15 §1): a principal of an organization reads and
 * acts only on what belongs to it (the rule: cloud/store/migrations-orgs.ts); the platform owner
 * (`orgId` null) on everything. A target of another organization answers 404 like an unknown one,
 * never 403: the answer must not tell that it exists.
 *
 * A request behind the operator-token preHandler alone carries no principal: config operator
 * tokens are owner tokens (issue 15 §3), so no principal reads as the owner.
 */
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../identity/principal.ts';
import { notFound } from './errors.ts';

/** The organization of a gateway; undefined for an unknown gateway (records-store getGateway, org-store orgOfGateway). */
export type OrgOfGateway = (gateway: string) => Promise<string | undefined>;

/** The organization a request's reads are limited to; undefined: every organization (the owner). */
export function orgScope(request: FastifyRequest): string | undefined {
  return request.principal?.orgId ?? undefined;
}

/** Whether a principal (undefined: an operator token, the owner) may see a target of organization `orgIdOfTarget`. */
export function inOrg(principal: Principal | undefined, orgIdOfTarget: string | null | undefined): boolean {
  if (principal === undefined || principal.orgId === null) return orgIdOfTarget !== undefined;
  return orgIdOfTarget === principal.orgId;
}

/**
 * Refuses with 404 (ATALAYA_API_NOT_FOUND) a target the principal may not see: unknown
 * (`orgIdOfTarget` undefined), of another organization, or relay-wide (null) for an
 * organization's principal. Every read or write by id calls it before touching the target.
 */
export function assertInOrg(principal: Principal | undefined, orgIdOfTarget: string | null | undefined, what: string): void {
  if (!inOrg(principal, orgIdOfTarget)) throw notFound(`no ${what}`);
}

/** assertInOrg for a gateway named in a request (a readings filter, a proof): its organization looked up first. */
export async function assertGatewayInOrg(request: FastifyRequest, orgOfGateway: OrgOfGateway, gateway: string): Promise<void> {
  const principal = request.principal;
  if (principal === undefined || principal.orgId === null) return;
  assertInOrg(principal, await orgOfGateway(gateway), `gateway ${gateway}`);
}
