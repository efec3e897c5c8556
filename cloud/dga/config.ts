/**
 * The `dga:` section of relay.yaml: which obras the relay reports to DGA (docs/dga.md), from
 * which gateway channels, and the transmission rules of Res. Ex. DGA 2.170/2025 §3 and §6 as
 * settings. Credentials are not here: they are stored encrypted in the database
 * (`atalaya relay dga credentials <obra>`), so a leaked config does not leak a DGA password.
 */
import cron from 'node-cron';
import { z } from 'zod';
import type { EmptyValueGround } from '../../protocols/dga/index.ts';
import { DGA_REST_BASE_URL, DGA_SOAP_ENDPOINT, mayBeEmpty, OBRA_PATTERN, STANDARDS, WORK_KINDS } from '../../protocols/dga/index.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export const DGA_INTERFACES = ['rest', 'soap'] as const;
export type DgaInterface = (typeof DGA_INTERFACES)[number];

const channel = z.string().min(1).max(128);

/** The grounds an obra declares (muy-pequenos comes from its standard). */
const EMPTY_GROUNDS_BY_CONFIG = ['aguas-del-minero', 'compuerta-automatizada'] as const;

/** The manual's ground for this obra to send an empty level or staff gauge, if any. */
export function emptyValueGround(o: {
  readonly standard: string;
  readonly emptyAllowedAs?: (typeof EMPTY_GROUNDS_BY_CONFIG)[number] | undefined;
}): EmptyValueGround | undefined {
  return o.standard === 'muy-pequenos' ? 'muy-pequenos' : o.emptyAllowedAs;
}

const channelsSchema = z
  .strictObject({
    flow: channel.optional().describe('Channel of the flow (caudal); units L/s, l/s, m3/h or m3/s'),
    totalizer: channel.optional().describe('Channel of the cumulative volume (totalizador); units m3 or L'),
    level: channel
      .optional()
      .describe(
        'Channel of the water level below the surface (nivel freático), m or cm; wells only, and required for them (or waterColumn) unless standard muy-pequenos or emptyAllowedAs aguas-del-minero',
      ),
    waterColumn: channel.optional().describe('Channel of the water column above a submerged pressure sensor, m; level = sensorDepthM − column, clamped at 0'),
    staffGauge: channel
      .optional()
      .describe(
        'Channel of the staff-gauge height (altura limnimétrica), cm or m; superficial obras only, and required for them unless standard muy-pequenos or emptyAllowedAs compuerta-automatizada',
      ),
  })
  .describe("Channel names of the obra's device on its gateway, as the agent records them");

const waterRightSchema = z
  .strictObject({
    flowLps: z.number().positive().max(1_000_000).describe('Granted flow (caudal otorgado), L/s: a flow reading above it (plus tolerancePct) is an exceedance'),
    annualM3: z
      .number()
      .positive()
      .max(1e12)
      .describe("Granted annual volume, m3 per calendar year on DGA's UTC-4 clock: extraction above it (plus tolerancePct) is an exceedance"),
    tolerancePct: z.number().min(0).max(100).default(0).describe('Margin over both limits before an exceedance is raised, % (0–100, default 0)'),
  })
  .describe(
    "The obra's water right (derecho de aprovechamiento): volumes are shown as a share of annualM3, and exceedances are raised as events (docs/dga.md#water-rights-and-volumes)",
  );

/** Plausibility checks before a slot is queued (protocols/dga plausibility.ts, docs/dga.md#review-before-sending). */
const reviewSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Hold a slot that fails a check for a person (review) instead of queuing it'),
    frozenTotalizerHours: z
      .number()
      .min(0.5)
      .max(24 * 31)
      .default(3)
      .describe('Totalizer unchanged while the flow stays > 0 for this long, h (0.5..744), is a finding'),
    jumpFactor: z.number().min(1.5).max(1000).default(5).describe('A flow or hourly volume above this × the recent median is a jump (1.5..1000)'),
    medianWindowHours: z
      .number()
      .min(1)
      .max(24 * 31)
      .default(24)
      .describe('How far back the median of flow and hourly volume looks, h (1..744)'),
    volumeFlowTolerancePct: z
      .number()
      .min(1)
      .max(1000)
      .default(20)
      .describe("Largest difference between the totalizer's volume and the integrated flow since the previous slot, % of the larger (1..1000)"),
    volumeFlowMinM3: z.number().min(0).max(1e6).default(1).describe('Differences below this, m3, are never a mismatch (meter resolution; 0..1e6)'),
    volumeFlowMaxGapMin: z
      .number()
      .min(1)
      .max(24 * 60)
      .default(15)
      .describe('The flow is integrated only when its readings are at most this far apart, min (1..1440)'),
    wellDepthM: z.number().positive().max(10_000).optional().describe('Depth of the well, m: a level below the surface deeper than this is a finding'),
  })
  .default({
    enabled: true,
    frozenTotalizerHours: 3,
    jumpFactor: 5,
    medianWindowHours: 24,
    volumeFlowTolerancePct: 20,
    volumeFlowMinM3: 1,
    volumeFlowMaxGapMin: 15,
  })
  .describe('Plausibility checks on each slot before it is queued; a slot that fails one waits in review for a person (atalaya relay dga review)');

const obraSchema = z
  .strictObject({
    code: z.string().regex(OBRA_PATTERN, 'an obra code O[BR]-RRPP-N, e.g. OB-0602-7').describe('DGA obra code (Manual Técnico N°1/2025 §5.2)'),
    kind: z.enum(WORK_KINDS).describe('subterranea (well), superficial-flujometro (surface with flowmeter), superficial (staff gauge)'),
    standard: z
      .enum(STANDARDS)
      .default('mayor')
      .describe('Reporting standard (Res. 1238/2019): mayor hourly, medio daily, menor monthly, muy-pequenos twice a year'),
    interface: z.enum(DGA_INTERFACES).optional().describe('Overrides dga.interface for this obra'),
    gateway: z.string().min(1).max(64).describe("Gateway id whose records carry this obra's readings"),
    device: z.string().min(1).max(128).describe('Device name on that gateway'),
    channels: channelsSchema,
    sensorDepthM: z.number().positive().max(10_000).optional().describe('Depth of the pressure sensor below the surface, m (with channels.waterColumn)'),
    totalizerWrapAt: z
      .number()
      .positive()
      .optional()
      .describe('Value at which the totalizer register wraps to 0, m3 (e.g. 429496729.6 for a 32-bit count of 0.1 m3); also unwraps the extracted volumes'),
    waterRight: waterRightSchema.optional(),
    review: reviewSchema,
    startAt: z.iso.datetime({ offset: true }).describe('First slot to report, ISO 8601 with offset, e.g. 2025-09-01T00:00:00-04:00'),
    emptyAllowedAs: z
      .enum(EMPTY_GROUNDS_BY_CONFIG)
      .optional()
      .describe(
        "The manual's ground for sending the level (aguas-del-minero: a well of mining water) or the staff gauge (compuerta-automatizada: an automated gate that computes the flow) empty; the muy-pequenos standard needs none",
      ),
    flowDeadbandLps: z
      .number()
      .min(0)
      .max(10)
      .default(0.01)
      .describe(
        "A negative flow no further below 0 than this, l/s (0..10; zero drift within the meter's resolution), is sent as 0; a larger negative flow leaves caudal missing",
      ),
  })
  .superRefine((o, ctx) => {
    const problem = (path: string, message: string): void => void ctx.addIssue({ code: 'custom', path: path.split('.'), message });
    const c = o.channels;
    if (c.flow === undefined) problem('channels.flow', `required for a ${o.kind} obra (caudal)`);
    if (o.kind !== 'superficial' && c.totalizer === undefined) problem('channels.totalizer', `required for a ${o.kind} obra (totalizador)`);
    if (o.kind === 'superficial' && c.totalizer !== undefined) problem('channels.totalizer', 'a superficial obra reports no totalizer');
    if (o.kind !== 'subterranea') {
      if (c.level !== undefined) problem('channels.level', 'only wells (subterranea) report a level');
      if (c.waterColumn !== undefined) problem('channels.waterColumn', 'only wells (subterranea) report a level');
    }
    if (o.kind !== 'superficial' && c.staffGauge !== undefined) problem('channels.staffGauge', 'only superficial obras report a staff gauge');
    if (c.level !== undefined && c.waterColumn !== undefined) problem('channels.waterColumn', 'give level or waterColumn, not both');
    if (c.waterColumn !== undefined && o.sensorDepthM === undefined) problem('sensorDepthM', 'required with channels.waterColumn');
    // Manual Técnico N°1/2025: a level or staff gauge may be empty only for the muy-pequenos standard,
    // mining water (level) or automated gates (staff gauge); every other obra must measure it.
    if (o.kind === 'subterranea' && c.level === undefined && c.waterColumn === undefined && !mayBeEmpty('nivelFreatico', emptyValueGround(o))) {
      problem(
        'channels.level',
        `required for a ${o.standard} well (nivelFreaticoDelPozo may be empty only for the muy-pequenos standard or with emptyAllowedAs: aguas-del-minero)`,
      );
    }
    if (o.kind === 'superficial' && c.staffGauge === undefined && !mayBeEmpty('alturaLimnimetrica', emptyValueGround(o))) {
      problem(
        'channels.staffGauge',
        `required for a ${o.standard} superficial obra (alturaLimnimetrica may be empty only for the muy-pequenos standard or with emptyAllowedAs: compuerta-automatizada)`,
      );
    }
    if (o.emptyAllowedAs === 'aguas-del-minero' && o.kind !== 'subterranea') problem('emptyAllowedAs', 'aguas-del-minero applies to wells (subterranea) only');
    if (o.emptyAllowedAs === 'compuerta-automatizada' && o.kind !== 'superficial')
      problem('emptyAllowedAs', 'compuerta-automatizada applies to superficial obras only');
    if (o.interface === 'soap') {
      if (o.kind === 'superficial-flujometro') problem('interface', 'the legacy SOAP service has no surface-with-flowmeter measurement; use rest');
      // Only where the manual's grounds let the value be empty (else it is refused above already).
      if (o.kind === 'subterranea' && c.level === undefined && c.waterColumn === undefined && mayBeEmpty('nivelFreatico', emptyValueGround(o))) {
        problem('channels.level', 'SOAP requires a level (xsd:decimal cannot be empty)');
      }
      if (o.kind === 'superficial' && c.staffGauge === undefined && mayBeEmpty('alturaLimnimetrica', emptyValueGround(o)))
        problem('channels.staffGauge', 'SOAP requires a staff-gauge height');
    }
  });

export const dgaConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Derive and send measurements to DGA'),
    interface: z.enum(DGA_INTERFACES).default('rest').describe('rest (current, Res. 2.170/2025) or soap (legacy)'),
    restBaseUrl: z
      .url({ protocol: /^https?$/ })
      .default(DGA_REST_BASE_URL)
      .describe('Base URL of the REST API'),
    soapEndpoint: z
      .url({ protocol: /^https?$/ })
      .default(DGA_SOAP_ENDPOINT)
      .describe('Endpoint of the legacy SOAP service'),
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .max(5 * MINUTE_MS)
      .default(30_000)
      .describe("Longest wait for DGA's answer, ms; past it the outcome is unknown and the send is retried after retryAfterMs"),
    spacingMs: z
      .number()
      .int()
      .min(0)
      .max(DAY_MS)
      .default(5 * MINUTE_MS)
      .describe(
        'Least time between two sends of one obra, ms (Res. 2.170 §6.1: 300000 when catching up; less risks the ministry blocking the Centro de Control)',
      ),
    retryAfterMs: z
      .number()
      .int()
      .min(0)
      .max(7 * DAY_MS)
      .default(DAY_MS)
      .describe('Wait before resending after a refusal or no answer, ms (Res. 2.170 §6.2: the next day)'),
    unknownOutcomeDelayMs: z
      .number()
      .int()
      .min(0)
      .max(7 * DAY_MS)
      .default(DAY_MS)
      .describe(
        'Wait before resending a measurement whose send was cut short by a relay stop or crash, ms (Res. 2.170 §6.2: the next day, as for any send without an answer; a shorter wait departs from that rule, docs/dga.md#transmission-rules)',
      ),
    maxAttemptsPerSlot: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(3)
      .describe('Most automatic sends of one slot (1..100) before it stops as needs-attention for a person (atalaya relay dga retry allows as many again)'),
    toleranceMs: z
      .number()
      .int()
      .min(0)
      .max(HOUR_MS)
      .default(5 * MINUTE_MS)
      .describe('A slot takes the good reading closest to its instant within ± this, ms'),
    recheckMissingMs: z
      .number()
      .int()
      .min(0)
      .max(90 * DAY_MS)
      .default(7 * DAY_MS)
      .describe('Slots found missing this recently (ms) are derived again when their gateway syncs late readings'),
    maxSlotsPerTick: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(500)
      .describe('Most slots derived per obra in one tick (a startAt far back is caught up over several ticks)'),
    verifyReceipts: z.boolean().default(false).describe('After each accepted send, read the measurement back by its receipt (GET, no credentials) and compare'),
    schedule: z
      .string()
      .refine((s) => cron.validate(s), 'a node-cron expression, e.g. "* * * * *" (every minute)')
      .default('* * * * *')
      .describe('When the relay derives new slots and sends what is due (node-cron, relay local time)'),
    obras: z
      .array(obraSchema)
      .default([])
      .superRefine((obras, ctx) => {
        const seen = new Set<string>();
        obras.forEach((o, i) => {
          if (seen.has(o.code)) ctx.addIssue({ code: 'custom', path: [i, 'code'], message: `obra ${o.code} is listed twice` });
          seen.add(o.code);
        });
      })
      .describe('The obras this relay reports'),
  })
  .superRefine((d, ctx) => {
    if (d.interface !== 'soap') return;
    d.obras.forEach((o, i) => {
      if (o.interface !== undefined) return;
      if (o.kind === 'superficial-flujometro')
        ctx.addIssue({
          code: 'custom',
          path: ['obras', i, 'interface'],
          message: 'dga.interface is soap, which has no surface-with-flowmeter measurement: set interface: rest',
        });
      if (
        o.kind === 'subterranea' &&
        o.channels.level === undefined &&
        o.channels.waterColumn === undefined &&
        mayBeEmpty('nivelFreatico', emptyValueGround(o))
      ) {
        ctx.addIssue({ code: 'custom', path: ['obras', i, 'channels', 'level'], message: 'SOAP requires a level (xsd:decimal cannot be empty)' });
      }
    });
  });

export type DgaConfig = z.output<typeof dgaConfigSchema>;
export type DgaObraConfig = DgaConfig['obras'][number];

export function obraInterface(config: DgaConfig, obra: DgaObraConfig): DgaInterface {
  return obra.interface ?? config.interface;
}
