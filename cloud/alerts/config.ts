/**
 * `alerts:` in relay.yaml (zod): recipient groups, rules, timing, quiet hours, digest. Every
 * problem is reported with its path (`alerts.rules[1].groups[0]: no group named "guardia"`).
 */
import { z } from 'zod';
import { emailAddress as email, notifyChannelsSchema, e164Phone as phone, telegramChat, httpUrl as url } from '../../platform/notify/schema.ts';

export const ALERT_KINDS = [
  'alarm',
  'gateway_silent',
  'device_fault',
  'integrity',
  'dga_failed',
  'dga_stopped',
  'dga_late',
  'anchor_unconfirmed',
  'anchor_errors',
  'anchor_reorg',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export const SEVERITIES = ['info', 'warning', 'alarm'] as const;

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (1..64), starting with a letter or digit');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24 h');
const minutes = (max: number) => z.number().min(0).max(max);

const memberSchema = z
  .strictObject({
    name,
    email: email.optional(),
    phone: phone.optional().describe('E.164; SMS through the sms channel'),
    webhook: url.optional().describe('URL the webhook channel posts to (a Slack/Teams/Google Chat incoming webhook with a preset)'),
    telegram: telegramChat.optional().describe('Telegram chat id or @channel, through the telegram channel'),
  })
  .refine((m) => m.email !== undefined || m.phone !== undefined || m.webhook !== undefined || m.telegram !== undefined, {
    message: 'give at least one of email, phone, webhook, telegram',
  });

const groupSchema = z.strictObject({
  members: z.array(memberSchema).min(1),
  org: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'an organization id (atalaya relay org list)')
    .optional()
    .describe("the organization whose alerts this group receives (issue 15); absent: a platform group, told of every organization's alerts"),
});

const ruleSchema = z.strictObject({
  name,
  kinds: z
    .array(z.enum(ALERT_KINDS))
    .min(1)
    .default([...ALERT_KINDS])
    .describe('alert kinds this rule takes (default: all)'),
  severities: z.array(z.enum(SEVERITIES)).min(1).default(['warning', 'alarm']),
  subjects: z
    .array(z.string().min(1).max(256))
    .default(['*'])
    .describe(
      'subject patterns, * matches any run of characters: `<gateway>/<device>/<channel>` for alarms, `<gateway>` for silence and integrity, e.g. pozo-norte-*/det-1/*',
    ),
  groups: z.array(name).min(1).describe('groups told when the alert opens; level 0 of the escalation'),
  escalation: z.array(name).default([]).describe('groups told, one more per step, while nobody acknowledges'),
  escalateAfterMinutes: minutes(10_080).default(15).describe('minutes without ack before the next escalation step (0..10080)'),
  repeatEveryMinutes: minutes(10_080).default(0).describe('reminder to the groups reached so far while open and not acknowledged, minutes; 0: none'),
  cooldownMinutes: minutes(10_080)
    .default(0)
    .describe(
      'after this rule notified an alert, a new alert of the same family (same gateway/device/channel/rule) within this many minutes is stored but not sent',
    ),
  notifyClose: z.boolean().default(true).describe('tell the groups reached when the alert closes (cleared, gateway back)'),
});

export const alertsConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    ackLinkBaseUrl: url
      .optional()
      .describe('public URL of this relay, as a technician reaches it (https://relay.example.cl); messages carry an ack link under it. Without it, no links'),
    ackLinkTtlHours: z.number().min(1).max(720).default(72).describe('how long an ack link works, hours (1..720)'),
    tickMs: z.int().min(100).max(600_000).default(2000).describe('how often the detectors and escalations run, ms (100..600000)'),
    silentAfterMinutes: minutes(10_080).default(15).describe('a gateway without ingest for longer is silent, minutes; 0: never'),
    silentAfter: z
      .array(
        z.strictObject({
          gateways: z.array(z.string().min(1).max(256)).min(1).describe('gateway id patterns, * matches any run of characters, e.g. src-* or pozo-norte-*'),
          minutes: minutes(10_080).describe('its silence period, minutes; 0: never silent'),
        }),
      )
      .default([])
      .describe(
        'silence periods of their own for some gateways (a LoRaWAN source reporting every 15 min, a gateway on a daily link): the first entry with a pattern matching the gateway gives its period, else silentAfterMinutes',
      ),
    silentSeverity: z.enum(SEVERITIES).default('warning'),
    deviceFaultAfterMinutes: minutes(10_080)
      .default(10)
      .describe('a device channel whose readings stay comm_error/sensor_fault longer opens a device_fault alert, minutes (0..10080); 0: never'),
    deviceFaultSeverity: z.enum(SEVERITIES).default('warning'),
    dgaLateAfterHours: z.number().min(1).max(8760).default(26).describe('an obra whose last accepted DGA report is older is late, hours (1..8760)'),
    anchorUnconfirmedAfterMinutes: z.number().min(1).max(100_000).default(180).describe('an anchor batch not confirmed this long after it was cut, minutes'),
    anchorErrorsRepeat: z.int().min(1).max(100_000).default(5).describe('the same anchoring error this many times within an hour opens an alert'),
    sendConcurrency: z
      .int()
      .min(1)
      .max(32)
      .default(1)
      .describe('messages in flight per channel; a relay killed mid-send resends at most this many per channel'),
    leaseMs: z
      .int()
      .min(1000)
      .max(3_600_000)
      .default(60_000)
      .describe("how long a claimed message is this relay's before another may resend it, ms; above every channel timeout"),
    maxAttempts: z.int().min(1).max(100).default(12),
    maxAgeHours: z.number().min(0.01).max(720).default(24).describe('a message not delivered after this long is given up'),
    backoffMs: z
      .strictObject({
        base: z.int().min(100).max(3_600_000).default(5000),
        max: z.int().min(100).max(86_400_000).default(600_000),
      })
      .prefault({})
      .describe("wait after failure n: min(max, base × 2^(n−1)), or the receiver's Retry-After"),
    quietHours: z
      .strictObject({
        timeZone: z
          .string()
          .default('America/Santiago')
          .refine((tz) => {
            try {
              new Intl.DateTimeFormat('en', { timeZone: tz });
              return true;
            } catch {
              return false;
            }
          }, 'an IANA time zone like America/Santiago'),
        from: hhmm,
        to: hhmm,
      })
      .optional()
      .describe('info and warning messages wait until `to`; alarm severity is never held'),
    digest: z
      .strictObject({
        windowMinutes: z.number().min(0.1).max(1440).default(5),
        maxPerWindow: z
          .int()
          .min(1)
          .max(1000)
          .default(5)
          .describe('messages per recipient and rule in a window before the rest are held and sent as one summary with counts'),
      })
      .prefault({}),
    channels: notifyChannelsSchema
      .prefault({})
      .describe(
        'How messages leave (platform/notify): email (SMTP server), webhook (preset, signing secret), sms (HTTP provider), telegram; secrets from the environment or files, never here',
      ),
    groups: z.record(name, groupSchema).default({}),
    rules: z.array(ruleSchema).default([]),
  })
  .superRefine((c, ctx) => {
    c.rules.forEach((r, i) => {
      for (const key of ['groups', 'escalation'] as const) {
        r[key].forEach((g, j) => {
          if (c.groups[g] === undefined) ctx.addIssue({ code: 'custom', path: ['rules', i, key, j], message: `no group named "${g}" in alerts.groups` });
        });
      }
    });
    const needs = { email: 'email', phone: 'sms', webhook: 'webhook', telegram: 'telegram' } as const;
    for (const [g, group] of Object.entries(c.groups)) {
      group.members.forEach((m, i) => {
        for (const [field, channel] of Object.entries(needs) as Array<[keyof typeof needs, (typeof needs)[keyof typeof needs]]>) {
          if (m[field] !== undefined && c.channels[channel] === undefined)
            ctx.addIssue({ code: 'custom', path: ['groups', g, 'members', i, field], message: `needs alerts.channels.${channel}` });
        }
      });
    }
    const seen = new Set<string>();
    c.rules.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `rule name "${r.name}" used twice` });
      seen.add(r.name);
    });
    if (c.backoffMs.max < c.backoffMs.base) ctx.addIssue({ code: 'custom', path: ['backoffMs', 'max'], message: 'must be at least backoffMs.base' });
  });

export type AlertsConfig = z.output<typeof alertsConfigSchema>;
export type AlertRule = AlertsConfig['rules'][number];
export type AlertMember = AlertsConfig['groups'][string]['members'][number];
