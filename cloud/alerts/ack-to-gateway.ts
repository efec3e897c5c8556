/**
 * An ack given on the relay (API, CLI, the email's ack link) reaches the gateway's alarm state
 * (issue 16 §3): for an alert about a gateway's alarm record, the alarm.ack command that
 * acknowledges the same rule on the gateway. The composition root hands it to remote commands.
 */
import type { Auditor } from '../identity/audit.ts';
import type { Alert } from '../store/alerts-types.ts';

export interface GatewayAck {
  readonly gateway: string;
  readonly args: { readonly device: string; readonly channel: string; readonly rule: string; readonly by: string };
}

/** Undefined for alerts that are not a gateway's alarm (silence, integrity, DGA, anchoring). */
export function gatewayAckOf(alert: Alert, by: string): GatewayAck | undefined {
  if (alert.kind !== 'alarm' || alert.gateway === null || alert.device === null || alert.channel === null) return undefined;
  // family: alarm:<gateway>:<device>:<channel>:<rule> (events.ts); none of those ids may hold ':'.
  const rule = alert.family.split(':')[4];
  if (rule === undefined || rule === '') return undefined;
  return { gateway: alert.gateway, args: { device: alert.device, channel: alert.channel, rule, by: by.slice(0, 128) } };
}

/** What creates the command: remote commands' create (cloud/fleet/commands-service.ts). */
export type CreateAckCommand = (gateway: string, args: GatewayAck['args'], actor: string) => Promise<{ readonly id: string }>;

/**
 * Queues the alarm.ack of an acknowledged alert for its gateway, created by `alert-ack:<who>`, and
 * audits it in the alert's organization as a gateway command made by whoever acknowledged.
 */
export async function ackOnGateway(create: CreateAckCommand, alert: Alert, by: string, auditor?: Auditor): Promise<void> {
  const ack = gatewayAckOf(alert, by);
  if (ack === undefined) return;
  const command = await create(ack.gateway, ack.args, `alert-ack:${by}`.slice(0, 200));
  await auditor?.record({ name: by, userId: null, orgId: alert.orgId }, 'gateway.command', ack.gateway, {
    command: command.id,
    kind: 'alarm.ack',
    args: ack.args,
    alert: alert.id,
  });
}
