/**
 * Config of each notification channel (zod), reused inside the agent's and the relay's config
 * schemas: their loaders report every problem with its path (`notify.sms.template.body.To: …`).
 * Secrets never appear in a config: each names an environment variable (default below) and may
 * name a file; platform/secrets.ts's rule picks one (channels.ts).
 */
import { z } from 'zod';

/** A mailbox `local@domain` (no display name, no spaces; the domain has a dot or is `localhost`). */
export const emailAddress = z
  .string()
  .regex(/^[^\s@<>(),;:"]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z0-9-]+$|^[^\s@<>(),;:"]+@localhost$/, 'expected an email address like ops@example.cl');
/** E.164: `+`, a country code, at most 15 digits in all (ITU-T E.164 §6), e.g. `+56912345678`. */
export const e164Phone = z.string().regex(/^\+[1-9]\d{6,14}$/, 'expected an E.164 phone number like +56912345678');
export const httpUrl = z.string().refine((s) => isHttpUrl(s), 'expected an http:// or https:// URL');
/** A Telegram chat id: a number (negative for groups) or `@channelusername`. */
export const telegramChat = z.string().regex(/^-?\d{1,20}$|^@[A-Za-z][A-Za-z0-9_]{4,31}$/, 'expected a chat id (e.g. -1001234567890) or @channelname');

export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

const timeoutMs = z.int().min(1000).max(120_000).default(10_000).describe('one attempt, connect to answer, ms (1000..120000)');
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name');
const filePath = z.string().min(1);

export const emailChannelSchema = z.strictObject({
  host: z.string().min(1).describe('SMTP server'),
  port: z.int().min(1).max(65535).default(587),
  security: z
    .enum(['starttls', 'tls', 'none'])
    .default('starttls')
    .describe('starttls: plain connect then STARTTLS, required (port 587); tls: TLS from the first byte (port 465); none: no TLS (a local relay only)'),
  user: z.string().min(1).optional().describe('AUTH user; without it no AUTH'),
  passwordEnv: envName.default('ATALAYA_SMTP_PASSWORD'),
  passwordFile: filePath.optional(),
  caFile: filePath.optional().describe('PEM CA certificate(s) of a private CA the server certificate chains to'),
  from: emailAddress,
  timeoutMs,
});

export const WEBHOOK_PRESETS = ['generic', 'slack', 'teams', 'googlechat'] as const;

export const webhookChannelSchema = z.strictObject({
  preset: z.enum(WEBHOOK_PRESETS).default('generic').describe('body shape; generic carries the HMAC signature headers when a secret is found'),
  secretEnv: envName.default('ATALAYA_WEBHOOK_SECRET'),
  secretFile: filePath.optional(),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name'), z.string()).default({}),
  timeoutMs,
});

/** The placeholders an SMS template may use; `{{token}}` is the secret (headers and URL only, never logged). */
export const TEMPLATE_PLACEHOLDERS = ['to', 'from', 'text', 'token'] as const;
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

/** Names in `{{…}}` that are not placeholders; also a `{{` without its `}}`. */
export function unknownPlaceholders(template: string): string[] {
  const bad: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(m[1] ?? '')) bad.push(m[1] ?? '');
  if (template.replace(PLACEHOLDER, '').includes('{{')) bad.push('{{ without }}');
  return bad;
}

const template = z.string().superRefine((s, ctx) => {
  const bad = unknownPlaceholders(s);
  if (bad.length > 0)
    ctx.addIssue({
      code: 'custom',
      message: `unknown placeholder ${bad.map((b) => `'${b}'`).join(', ')}; expected ${TEMPLATE_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
    });
});

export const smsTemplateSchema = z.strictObject({
  method: z.enum(['POST', 'PUT', 'GET']).default('POST'),
  url: template.refine(
    (s) => isHttpUrl(fillTemplate(s, { to: '+10000000000', from: 'x', text: 'x', token: 'x' }, encodeURIComponent)),
    'expected an http:// or https:// URL once filled',
  ),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name'), template).default({}),
  encoding: z.enum(['form', 'json']).default('form').describe('how body is sent: application/x-www-form-urlencoded or JSON'),
  body: z.record(z.string().min(1), template).default({ to: '{{to}}', text: '{{text}}' }).describe('field → template; fields are flat'),
  /** JSON field of the answer holding the provider's message id. */
  idField: z.string().min(1).default('id'),
});

const smsCommon = {
  from: z.string().min(1).max(20).optional().describe('sender: an E.164 number or an alphanumeric sender id'),
  tokenEnv: envName.default('ATALAYA_SMS_TOKEN'),
  tokenFile: filePath.optional(),
  maxSeptets: z.int().min(20).max(160).default(160).describe('GSM-7 septets of one SMS (20..160)'),
  timeoutMs,
};

export const smsChannelSchema = z.discriminatedUnion('preset', [
  z.strictObject({
    preset: z.literal('twilio'),
    accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'expected an Account SID: AC and 32 hex digits'),
    baseUrl: httpUrl.default('https://api.twilio.com'),
    ...smsCommon,
    from: z.string().min(1).max(20),
  }),
  z.strictObject({ preset: z.literal('template'), template: smsTemplateSchema, ...smsCommon }),
]);

export const telegramChannelSchema = z.strictObject({
  apiBase: httpUrl.default('https://api.telegram.org'),
  tokenEnv: envName.default('ATALAYA_TELEGRAM_TOKEN'),
  tokenFile: filePath.optional(),
  timeoutMs,
});

/** Every channel a process may use; each is optional. */
export const notifyChannelsSchema = z.strictObject({
  email: emailChannelSchema.optional(),
  webhook: webhookChannelSchema.optional(),
  sms: smsChannelSchema.optional(),
  telegram: telegramChannelSchema.optional(),
});

export type EmailChannelConfig = z.infer<typeof emailChannelSchema>;
export type WebhookChannelConfig = z.infer<typeof webhookChannelSchema>;
export type SmsChannelConfig = z.infer<typeof smsChannelSchema>;
export type SmsTemplateConfig = z.infer<typeof smsTemplateSchema>;
export type TelegramChannelConfig = z.infer<typeof telegramChannelSchema>;
export type NotifyChannelsConfig = z.infer<typeof notifyChannelsSchema>;
export type TemplateValues = Readonly<Record<(typeof TEMPLATE_PLACEHOLDERS)[number], string>>;

/** Replaces every `{{name}}`, each value passed through `encode` (URL-encoding for a URL, identity elsewhere). */
export function fillTemplate(template: string, values: TemplateValues, encode: (s: string) => string = (s) => s): string {
  return template.replace(PLACEHOLDER, (_, name: string) => encode(values[name as keyof TemplateValues] ?? ''));
}
