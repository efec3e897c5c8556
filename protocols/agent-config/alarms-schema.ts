import { z } from 'zod';
import { ALARM_LEVELS } from '../records.ts';
import { DEVICE_RULE, RULE_KINDS } from './alarms-types.ts';

/**
 * The `alarms:` section of the agent config. Rules are given per channel; the list that applies
 * to a device's channel is the first found of: `devices.<id>.<channel>`, `profiles.<profile>.<channel>`,
 * the built-in default (defaults.ts) when `defaults` is true. A list replaces the one below it as
 * a whole (no merging by rule id), and an empty list turns the channel's alarms off. Which devices,
 * profiles and channels exist is checked by checkAlarmsConfig (check.ts).
 *
 *   alarms:
 *     profiles:
 *       gas-detector:
 *         co: [{ rule: high1, kind: high, level: warning, threshold: 20 }]
 *     devices:
 *       gas-2:
 *         h2s: []          # sensor not fitted
 */
export const alarmRuleSchema = z.strictObject({
  rule: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'lower case letters, digits, _ - (1–32, starting with a letter)')
    .refine((v) => v !== DEVICE_RULE, `'${DEVICE_RULE}' is reserved for alarms a device reports itself`)
    .describe('Rule id, unique per channel, e.g. high1, high2, low1; carried by every alarm record'),
  kind: z.enum(RULE_KINDS).describe('high: raised when value ≥ threshold; low: raised when value ≤ threshold'),
  level: z.enum(ALARM_LEVELS).describe('warning (first stage, A1) or alarm (second stage, A2)'),
  threshold: z.number().finite().describe("Set point in the channel's engineering units (e.g. %LEL, ppm, %vol), within its valid range"),
  hysteresis: z
    .number()
    .finite()
    .min(0)
    .optional()
    .describe(
      "Dead band in the same units, ≥ 0: a high alarm clears when value < threshold − hysteresis, a low one when value > threshold + hysteresis. Default: 2 % of the channel's range (max − min)",
    ),
  latching: z.boolean().default(false).describe('Stays raised after the condition clears until acknowledged'),
});

const channelRulesSchema = z
  .record(z.string().min(1), z.array(alarmRuleSchema).max(16))
  .describe("Rule lists by channel key (e.g. ch4, o2); an empty list turns the channel's alarms off");

export const alarmsConfigSchema = z
  .strictObject({
    defaults: z
      .boolean()
      .default(true)
      .describe('Use the built-in rules (gas detector: CH4 10/20 %LEL, H2S 5/10 ppm, CO 25/50 ppm, O2 19.5 and 23.5 %vol) for channels not configured here'),
    profiles: z
      .record(z.string().min(1), channelRulesSchema)
      .default({})
      .describe('Rules for every device of a profile, by profile id then channel; replace the built-in rules of that channel'),
    devices: z
      .record(z.string().min(1), channelRulesSchema)
      .default({})
      .describe("Rules for one device, by device id then channel; replace the profile's rules of that channel"),
  })
  .describe('Threshold alarms on readings');

export type AlarmsConfig = z.output<typeof alarmsConfigSchema>;
export type AlarmsConfigInput = z.input<typeof alarmsConfigSchema>;
export type AlarmRuleConfig = z.output<typeof alarmRuleSchema>;
