/**
 * THE permission table of the relay (issue 15 §2): permission → the roles that hold it. Every
 * authenticated route names one permission (cloud/identity/guard.ts) and nothing else decides who
 * may call it; test/integration/relay-roles-matrix.test.ts enumerates this table against the routes.
 *
 * - owner: the relay operator, every organization (today's config tokens are owner tokens);
 * - admin: an organization's users, tokens, gateways, credentials and audit;
 * - compliance: DGA review (approve, correct, mark missing), retries, evidence packs;
 * - technician: devices, alarms and alerts, acknowledgements;
 * - viewer: reads only.
 */
import type { Role } from './principal.ts';

const ALL: readonly Role[] = ['owner', 'admin', 'compliance', 'technician', 'viewer'];

export const PERMISSIONS = {
  /** GET /v1/gateways */
  'gateways.read': ALL,
  /** GET /v1/readings */
  'readings.read': ALL,
  /** GET /v1/integrity-alarms */
  'alarms.read': ALL,
  /** GET /metrics: every organization's gateways and obras, so the platform only. */
  'metrics.read': ['owner'],
  /** GET /v1/alerts, /v1/alerts/<id> */
  'alerts.read': ALL,
  /** POST /v1/alerts/<id>/ack */
  'alerts.ack': ['owner', 'admin', 'technician'],
  /** GET /v1/dga, /v1/dga/<obra>, volumes, exceedances, the review list */
  'dga.read': ALL,
  /** POST /v1/dga/<obra>/<slot>/approve|correct|mark-missing */
  'dga.review': ['owner', 'compliance'],
  /** GET /v1/dga/<obra>/evidence.zip */
  'dga.evidence': ['owner', 'admin', 'compliance'],
  /** GET /v1/proofs/…, /v1/anchors… */
  'anchor.read': ALL,
  /** GET /v1/audit: an admin sees its organization's, the owner every one. */
  'audit.read': ['owner', 'admin'],
  /** GET /v1/fleet (the principal's organization's gateways), /v1/fleet/<gateway>, a gateway's config, its history and commands (404 for another organization's gateway). */
  'fleet.read': ALL,
  /** PUT /v1/gateways/<id>/config: a gateway's desired agent config (devices, alarms, credentials' references), of the principal's organization. */
  'fleet.configure': ['owner', 'admin'],
  /**
   * POST /v1/gateways/<id>/commands: signed remote commands to a gateway of the principal's
   * organization. A technician acknowledges alarms on site (alarm.ack) and may restart the agent
   * (agent.restart): a restart loses no reading (the buffer is on disk) and is what a technician
   * does when a device misbehaves, so one permission covers every command kind.
   */
  'fleet.command': ['owner', 'admin', 'technician'],
  /** GET /v1/releases: releases and rollouts (every gateway's update state), the platform only. */
  'releases.read': ['owner'],
  /** POST /v1/releases/<version>/rollout: which gateways move to a signed release, the platform only. */
  'releases.rollout': ['owner'],
  /** GET /v1/sources: the principal's organization's provider sources (their status, problems and virtual gateways); the owner's: every one. */
  'sources.read': ['owner', 'admin'],
  /** Users and their API tokens (CLI, and any HTTP route that manages them). */
  'users.manage': ['owner', 'admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/** What a role may do, for GET /v1/session (the dashboard shows only these tabs and actions). */
export function permissionsOf(role: Role): Permission[] {
  return PERMISSION_NAMES.filter((p) => can(role, p));
}

/**
 * A token's role must be at most its user's: every permission of the token's role is one the
 * user's role holds (owner ⊇ admin; compliance and technician are not ordered with each other).
 */
export function roleWithin(tokenRole: Role, userRole: Role): boolean {
  if (tokenRole === 'owner') return userRole === 'owner';
  return permissionsOf(tokenRole).every((p) => can(userRole, p));
}
