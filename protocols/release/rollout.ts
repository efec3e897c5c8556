/**
 * Which version a gateway should run (issue 16 §4): the newest rollout that targets it. A rollout
 * names a version and targets one gateway, a group of gateways, or every gateway, with a canary
 * percentage: a gateway is in the first `percent` % when its bucket (SHA-256 of the gateway id,
 * first four bytes, modulo 100) is below it. The bucket depends on the id only, so raising the
 * percentage only adds gateways: a canary gateway stays in every later, wider stage.
 */
import { createHash } from 'node:crypto';

export type RolloutTarget = { readonly kind: 'all' } | { readonly kind: 'gateway'; readonly id: string } | { readonly kind: 'group'; readonly id: string };

export interface Rollout {
  readonly id: number;
  readonly version: string;
  readonly target: RolloutTarget;
  /** 1..100. */
  readonly percent: number;
}

/** 0..99, stable for a gateway id. */
export function canaryBucket(gatewayId: string): number {
  return createHash('sha256').update(gatewayId, 'utf8').digest().readUInt32BE(0) % 100;
}

function targets(r: Rollout, gatewayId: string, groups: ReadonlySet<string>): boolean {
  switch (r.target.kind) {
    case 'all':
      return true;
    case 'gateway':
      return r.target.id === gatewayId;
    case 'group':
      return groups.has(r.target.id);
    default: {
      const unknown: never = r.target;
      throw new Error(`unknown rollout target ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * The version `gatewayId` should run, undefined when no rollout reaches it. A rollout naming the
 * gateway itself wins over a group's, a group's over every gateway's; within a kind the newest
 * (highest id) wins, canary percentage applied. A gateway outside the newest rollout's canary
 * falls back to the previous rollout of that kind.
 */
export function desiredVersion(gatewayId: string, groups: ReadonlySet<string>, rollouts: readonly Rollout[]): string | undefined {
  const bucket = canaryBucket(gatewayId);
  for (const kind of ['gateway', 'group', 'all'] as const) {
    const hit = rollouts
      .filter((r) => r.target.kind === kind && targets(r, gatewayId, groups) && bucket < r.percent)
      .reduce<Rollout | undefined>((best, r) => (best === undefined || r.id > best.id ? r : best), undefined);
    if (hit !== undefined) return hit.version;
  }
  return undefined;
}
