/**
 * The `sources:` section of relay.yaml (issue 17): providers that bring devices in without an
 * Atalaya gateway, each a virtual gateway `src-<id>` provisioned with `atalaya relay source add`.
 * Per source the mapping from the provider's fields to device, channel and unit (with scale and
 * offset), and where its secret comes from (platform/secrets.ts: the variable wins over the file;
 * never in this file, never logged). cloud/providers/README.md documents every provider field used.
 */
import { z } from 'zod';
import { parseJsonPath } from '../../protocols/json-select.ts';
import { isTimeZone } from '../../protocols/zoned-time.ts';

/** Source ids: the gateway id is `src-<id>`, so at most 60 characters (gateway ids are 1–64). */
export const SOURCE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$/;
export const SOURCE_KINDS = ['tts', 'tago', 'http'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** The virtual gateway of a source: its records carry this gateway id. */
export function sourceGateway(id: string): string {
  return `src-${id}`;
}

/** The variable a source's secret is read from when the config names none: ATALAYA_SOURCE_<ID>_SECRET. */
export function defaultSecretEnv(id: string): string {
  return `ATALAYA_SOURCE_${id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_SECRET`;
}

const device = z.string().min(1).max(128);
const channel = z.string().min(1).max(128);

const fieldMapSchema = z.strictObject({
  channel: channel.describe('Channel of the records this field becomes'),
  unit: z.string().max(32).describe('Unit stored with the value, e.g. L/s, m3, m (0–32 characters)'),
  scale: z.number().finite().default(1).describe('value = provider value × scale + offset'),
  offset: z.number().finite().default(0).describe('Added after scale, in the stored unit'),
});

const secretSchema = {
  secretEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/)
    .optional()
    .describe('Variable holding the secret (default ATALAYA_SOURCE_<ID>_SECRET); wins over secretFile'),
  secretFile: z.string().min(1).optional().describe('File holding the secret (mode 0600); relative paths: to the config file'),
};

const idSchema = z.string().regex(SOURCE_ID_PATTERN, '1–60 letters, digits, _ . -, starting with a letter or digit');

const pullSchema = {
  url: z.url().describe('Base URL of the provider API'),
  intervalMs: z.number().int().min(200).max(86_400_000).default(60_000).describe('Time between pulls, ms (200 ms–24 h), ±10 % jitter'),
  timeoutMs: z.number().int().min(100).max(300_000).default(15_000).describe('Longest one request may take, ms'),
  backoffMaxMs: z.number().int().min(200).max(86_400_000).default(600_000).describe('Back-off after failed pulls doubles from intervalMs up to this, ms'),
  pageSize: z.number().int().min(1).max(10_000).default(500).describe('Records asked for per request (1–10 000)'),
};

const ttsSchema = z.strictObject({
  id: idSchema,
  kind: z.literal('tts'),
  header: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/)
    .default('X-Atalaya-Webhook-Secret')
    .describe("Header the TTS webhook sends the secret in (the webhook's 'Additional headers')"),
  ...secretSchema,
  maxGatewaySkewMs: z
    .number()
    .int()
    .min(0)
    .max(86_400_000)
    .default(60_000)
    .describe('A gateway or settings time further than this from received_at is not trusted, ms'),
  dedupWindowMs: z
    .number()
    .int()
    .min(1000)
    .max(30 * 86_400_000)
    .default(86_400_000)
    .describe('The same device and f_cnt within this time is one uplink delivered twice; later, a reset frame counter, ms'),
  devices: z
    .array(
      z.strictObject({
        match: z.string().min(1).max(128).describe('end_device_ids.device_id or end_device_ids.dev_eui of the device'),
        device: device.describe('Device name of its records (what dga.obras[].device names)'),
        fields: z.record(z.string().min(1).max(128), fieldMapSchema).describe('decoded_payload field (dot path for nested) → channel, unit, scale, offset'),
      }),
    )
    .min(1),
});

const tagoSchema = z.strictObject({
  id: idSchema,
  kind: z.literal('tago'),
  ...pullSchema,
  url: pullSchema.url.default('https://api.tago.io'),
  ...secretSchema,
  device: device.describe('Device name of the records (the Tago device the token belongs to)'),
  variables: z.record(z.string().min(1).max(128), fieldMapSchema).describe('Tago variable → channel, unit, scale, offset; only these are pulled'),
});

const jsonPath = z.string().superRefine((text, ctx) => {
  const parsed = parseJsonPath(text);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `JSONPath subset ($.a.b, [n], [*]): ${parsed.problem}` });
});

const httpSchema = z
  .strictObject({
    id: idSchema,
    kind: z.literal('http'),
    ...pullSchema,
    ...secretSchema,
    authHeader: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/)
      .optional()
      .describe('Header the secret is sent in (e.g. Authorization with a secret "Bearer …"); none: no auth'),
    format: z.enum(['json', 'csv']).default('json'),
    items: jsonPath.default('$[*]').describe('JSON: the path of the rows, e.g. $.data[*]'),
    cursorParam: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .optional()
      .describe('Query parameter the committed cursor (ISO 8601 UTC of the newest row stored) is sent in; none: the whole document each time'),
    device: z.string().min(1).max(128).describe('A row\'s device: a JSON path or CSV column when it starts with $ or "col:", else the device name itself'),
    time: z.string().min(1).describe('JSON path or CSV column of the time'),
    timeFormat: z
      .enum(['iso', 'epoch-ms', 'epoch-s', 'local'])
      .default('iso')
      .describe('iso: ISO 8601 with offset; epoch-ms/-s; local: YYYY-MM-DD HH:mm[:ss] in timeZone'),
    timeZone: z
      .string()
      .default('America/Santiago')
      .refine(isTimeZone, 'an IANA time zone Intl knows, e.g. America/Santiago')
      .describe('IANA zone of local times (DST changes follow the tz database)'),
    idField: z.string().min(1).optional().describe("JSON path or CSV column of the row's own id; none: the sha256 of the row"),
    fields: z.record(z.string().min(1), fieldMapSchema).describe('JSON path (relative to the row) or CSV column → channel, unit, scale, offset'),
  })
  .superRefine((s, ctx) => {
    if (s.format === 'json')
      for (const [name, path] of [['time', s.time], ...Object.keys(s.fields).map((k) => ['fields', k])] as const)
        if (!parseJsonPath(path).ok) ctx.addIssue({ code: 'custom', path: name === 'time' ? ['time'] : ['fields', path], message: 'a JSON path such as $.ts' });
  });

export const sourceConfigSchema = z.discriminatedUnion('kind', [ttsSchema, tagoSchema, httpSchema]);

export const sourcesConfigSchema = z
  .array(sourceConfigSchema)
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((s, i) => {
      if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `source '${s.id}' listed twice` });
      seen.add(s.id);
    });
  })
  .describe('Provider sources (issue 17): TTS webhooks, Tago.io and generic HTTP pulls, each a virtual gateway src-<id> (cloud/providers/README.md)');

export type SourceConfig = z.output<typeof sourceConfigSchema>;
export type TtsSourceConfig = z.output<typeof ttsSchema>;
export type TagoSourceConfig = z.output<typeof tagoSchema>;
export type HttpSourceConfig = z.output<typeof httpSchema>;
export type FieldMap = z.output<typeof fieldMapSchema>;
