import { z } from 'zod';
import { compilePath } from './mapping-path.ts';
import { isTimeZone, TIME_FORMATS } from './mapping-time.ts';
import { compileTopicPattern, templateNames } from './mapping-topic.ts';
import { USERNAME_PATTERN } from './mqtt-acl.ts';

/**
 * `mqtt.mappings`: devices that publish their own topics and payloads (issue 17 §5). Each
 * mapping turns the messages of its topics into records: JSON with field paths, a plain number,
 * or Sparkplug B. See README.md "Mapped topics" in this folder.
 */

const channel = z.string().regex(USERNAME_PATTERN, 'letters, digits, _ . - (1–64, starting with a letter or digit): it becomes a topic level');

/** How a device's number becomes a reading: value · scale + offset, in unit; outside min..max it is out_of_range. */
const transform = {
  unit: z.string().max(16).default('').describe('Unit of the reading after scaling (at most 16 characters), e.g. %LEL, ppm, L/s'),
  scale: z.number().finite().default(1).describe('The device value is multiplied by this first'),
  offset: z.number().finite().default(0).describe('…then this is added'),
  min: z.number().finite().optional().describe('Below it (after scaling) the reading has quality out_of_range'),
  max: z.number().finite().optional().describe('Above it (after scaling) the reading has quality out_of_range'),
};

const fieldPath = z.string().refine((p) => compilePath(p) !== undefined, {
  message: "not a field path: names and indexes such as $.ch4, data.values[0], $['CH4 %LEL']",
});

const topic = z
  .string()
  .superRefine((p, ctx) => {
    const compiled = compileTopicPattern(p);
    if (!compiled.ok) ctx.addIssue({ code: 'custom', message: compiled.message });
  })
  .describe('MQTT topic filter with captures: {name} or + for one level (captured as {1}, {2}, …), # for the rest, e.g. site/{device}/sensors/{channel}');

const common = {
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'lower-case letters, digits, _ - (1–32): it labels the metrics')
    .describe('Mapping name, in the counts and metrics'),
  missing: z
    .enum(['skip', 'fault'])
    .default('skip')
    .describe('A mapped value absent from a message (or Sparkplug is_null): skip = no record for that channel; fault = a sensor_fault record with value null'),
};

const jsonField = z.strictObject({
  path: fieldPath.describe("Where the value is in the payload: $.ch4, data.values[0], $['CH4 %LEL']"),
  channel: channel.describe('Channel of the records'),
  ...transform,
});

/** `{name}` placeholders of a template that the topic does not capture. */
function checkTemplate(ctx: z.RefinementCtx, field: string, template: string, known: readonly string[] | undefined): void {
  // An invalid topic is reported on its own.
  if (known === undefined) return;
  for (const n of templateNames(template))
    if (!known.includes(n))
      ctx.addIssue({ code: 'custom', path: [field], message: `{${n}} is not a capture; known: ${known.map((k) => `{${k}}`).join(', ') || 'none'}` });
}

function captures(topic: string): string[] | undefined {
  const compiled = compileTopicPattern(topic);
  return compiled.ok ? [...compiled.pattern.names] : undefined;
}

export const jsonMappingSchema = z
  .strictObject({
    ...common,
    format: z.literal('json'),
    topic,
    device: z.string().min(1).default('{device}').describe('Device id of the records: a template of the topic captures, e.g. {device} or gaslyt-{serial}'),
    fields: z.array(jsonField).min(1).max(128).describe('One value per field: each becomes a channel'),
    time: z
      .strictObject({
        path: fieldPath.describe('Where the device time is'),
        format: z.enum(TIME_FORMATS).default('iso').describe('iso: RFC 3339 (an offset, or a local time in timeZone); epoch_ms; epoch_s'),
        timeZone: z
          .string()
          .refine(isTimeZone, { message: 'not an IANA time zone, e.g. America/Santiago or UTC' })
          .optional()
          .describe('IANA zone of an iso time without offset, e.g. America/Santiago'),
      })
      .optional()
      .describe("The device's time of the values; without it (or when absent from a message) the broker's receive time"),
  })
  .superRefine((m, ctx) => checkTemplate(ctx, 'device', m.device, captures(m.topic)));

export const numberMappingSchema = z
  .strictObject({
    ...common,
    format: z.literal('number'),
    topic,
    device: z.string().min(1).default('{device}').describe('Device id: a template of the topic captures'),
    channel: z.string().min(1).default('{channel}').describe('Channel: a template of the topic captures'),
    ...transform,
    channels: z.record(channel, z.strictObject(transform)).default({}).describe('Unit, scale, offset, min, max per channel, instead of the mapping-wide ones'),
  })
  .superRefine((m, ctx) => {
    checkTemplate(ctx, 'device', m.device, captures(m.topic));
    checkTemplate(ctx, 'channel', m.channel, captures(m.topic));
  });

const sparkplugMetric = z.strictObject({
  name: z.string().min(1).max(256).describe('Sparkplug metric name, e.g. Gas/CH4'),
  channel: channel.describe('Channel of the records'),
  ...transform,
});

/** A topic level: no wildcard, no separator (Sparkplug B 3.0 §4.1.1: group, node and device ids). */
const level = z.string().regex(/^[^/+#]{1,64}$/, 'a topic level: 1–64 characters, no / + #');

export const sparkplugMappingSchema = z
  .strictObject({
    ...common,
    format: z.literal('sparkplug-b'),
    group: z
      .union([z.literal('+'), level])
      .default('+')
      .describe('Sparkplug group id, + for any: topics spBv1.0/<group>/<type>/<node>[/<device>]'),
    node: z
      .union([z.literal('+'), level])
      .default('+')
      .describe('Edge node id, + for any'),
    device: z.string().min(1).default('{device}').describe('Device id of DBIRTH/DDATA records: a template of {group}, {node}, {device}'),
    nodeDevice: z.string().min(1).default('{node}').describe('Device id of NBIRTH/NDATA records: a template of {group}, {node}'),
    metrics: z.array(sparkplugMetric).max(1024).default([]).describe('Channel, unit and scaling per metric name'),
    otherMetrics: z
      .enum(['channel', 'skip'])
      .default('channel')
      .describe(
        'Numeric and boolean metrics not listed: channel = their name with characters other than letters, digits, _ . - as _ (unit empty); skip = ignored',
      ),
  })
  .superRefine((m, ctx) => {
    checkTemplate(ctx, 'device', m.device, ['group', 'node', 'device']);
    checkTemplate(ctx, 'nodeDevice', m.nodeDevice, ['group', 'node']);
  });

export const mappingSchema = z.discriminatedUnion('format', [jsonMappingSchema, numberMappingSchema, sparkplugMappingSchema]);

export const mappingsSchema = z
  .array(mappingSchema)
  .max(256)
  .default([])
  .superRefine((mappings, ctx) => {
    const seen = new Set<string>();
    mappings.forEach((m, i) => {
      if (seen.has(m.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate mapping name ${m.name}` });
      seen.add(m.name);
    });
  })
  .describe('Topics of devices that publish their own JSON, plain numbers or Sparkplug B, turned into records (agent/broker/README.md "Mapped topics")');

export type MappingConfig = z.output<typeof mappingSchema>;
export type JsonMappingConfig = z.output<typeof jsonMappingSchema>;
export type NumberMappingConfig = z.output<typeof numberMappingSchema>;
export type SparkplugMappingConfig = z.output<typeof sparkplugMappingSchema>;
export type ValueTransform = z.output<z.ZodObject<typeof transform>>;
