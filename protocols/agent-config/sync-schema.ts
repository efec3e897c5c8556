import { z } from 'zod';

/** Environment variable that may hold the gateway secret instead of `secretFile`. */
export const GATEWAY_SECRET_ENV = 'ATALAYA_GATEWAY_SECRET';

const relayUrl = z
  .string()
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a URL: expected the relay base URL, e.g. https://relay.example.com' });
      return;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      ctx.addIssue({ code: 'custom', message: `protocol ${url.protocol} is not supported: use https:// (or http:// on a trusted network)` });
    if (url.search !== '' || url.hash !== '') ctx.addIssue({ code: 'custom', message: 'the base URL takes no ?query or #fragment' });
    if (url.username !== '' || url.password !== '')
      ctx.addIssue({ code: 'custom', message: 'no credentials in the URL: the gateway authenticates with its secret (secretFile)' });
  })
  .describe('Relay base URL, http(s)://host[:port][/prefix]; records are POSTed to <url>/v1/ingest');

const backoffSchema = z
  .strictObject({
    initialMs: z.number().int().min(1).max(3_600_000).default(1000).describe('Delay after the first failed attempt, ms, 1..3600000'),
    maxMs: z
      .number()
      .int()
      .min(1)
      .max(86_400_000)
      .default(300_000)
      .describe('Longest delay between attempts, ms, 1..86400000; also the delay after a refusal that retrying cannot fix'),
    factor: z.number().min(1).max(10).default(2).describe('Delay multiplier per consecutive failure, 1..10'),
    jitter: z.number().min(0).max(1).default(0.2).describe('Random spread of each delay, fraction 0..1: delay × (1 ± jitter), never above maxMs'),
  })
  .refine((b) => b.initialMs <= b.maxMs, { path: ['initialMs'], message: 'must not exceed maxMs' });

const clockSchema = z.strictObject({
  syncFlagFile: z
    .string()
    .min(1)
    .default('/run/systemd/timesync/synchronized')
    .describe('File systemd-timesyncd touches at each NTP synchronization; when its directory is absent the year and jump rule applies (agent/sync/README.md)'),
  checkIntervalMs: z
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(5000)
    .describe('How often the flag file is checked and wall vs monotonic time compared, ms, 100..60000'),
  jumpThresholdMs: z
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(2000)
    .describe('A difference between wall-clock and monotonic progress above this is a clock jump, ms, 100..3600000'),
  settleMs: z
    .number()
    .int()
    .min(0)
    .max(86_400_000)
    .default(60_000)
    .describe('Without timesyncd: how long the clock must run without a jump after one before it is trusted again, ms, 0..86400000'),
});

/**
 * The `sync:` section: sending buffered records to the relay. The secret itself never appears
 * here (it would end up in backups and support bundles): it comes from `secretFile` or the
 * ATALAYA_GATEWAY_SECRET environment variable.
 */
export const syncConfigSchema = z
  .strictObject({
    enabled: z.boolean().optional().describe('Send buffered records to the relay; default: true when url is set, false otherwise'),
    url: relayUrl.optional(),
    secretFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        `File holding the gateway secret printed by \`atalaya relay gateway add\` (mode 0600); the ${GATEWAY_SECRET_ENV} environment variable, when set, wins over it`,
      ),
    batchRecords: z.number().int().min(1).max(10_000).default(5000).describe('Most records per request, 1..10000'),
    batchBytes: z
      .number()
      .int()
      .min(1024)
      .max(16_777_216)
      .default(1_048_576)
      .describe('Most estimated uncompressed bytes per request, 1024..16777216 (a single larger record is still sent alone)'),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000).describe('Whole-request deadline (connect, upload, answer), ms, 100..600000'),
    backoff: backoffSchema.prefault({}).describe('Exponential backoff with jitter after failed attempts'),
    idleMs: z
      .number()
      .int()
      .min(1)
      .max(600_000)
      .default(1000)
      .describe('When caught up, longest wait before looking for new records, ms, 1..600000; a buffer commit ends the wait early'),
    caFile: z.string().min(1).optional().describe('PEM file of an extra CA to trust for the relay certificate (private relay); the public roots stay trusted'),
    clock: clockSchema.prefault({}).describe('How the gateway decides whether its wall clock is trustworthy (no RTC on a Pi)'),
  })
  .superRefine((c, ctx) => {
    if (c.enabled === true && c.url === undefined)
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'required when sync is enabled: the relay base URL' });
  })
  .transform(({ enabled, ...rest }) => ({ ...rest, enabled: enabled ?? rest.url !== undefined }));

export type SyncConfig = z.output<typeof syncConfigSchema>;
export type SyncConfigInput = z.input<typeof syncConfigSchema>;
export type BackoffConfig = SyncConfig['backoff'];
export type ClockWatchConfig = SyncConfig['clock'];
