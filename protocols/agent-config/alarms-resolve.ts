import type { Profile } from '../profiles/index.ts';
import { BUILTIN_ALARM_DEFAULTS } from './alarms-defaults.ts';
import type { AlarmRuleConfig, AlarmsConfig } from './alarms-schema.ts';
import type { AlarmRule } from './alarms-types.ts';

/** What the rules of a channel need to know about it: measured and derived channels have it. */
export interface ChannelRange {
  readonly key: string;
  readonly unit: string;
  readonly min: number;
  readonly max: number;
}

/** Share of a channel's range used as hysteresis when a configured rule gives none. */
export const DEFAULT_HYSTERESIS_FRACTION = 0.02;

const NO_RULES: readonly AlarmRule[] = Object.freeze([]);

/** Channels of a profile that readings with values come from (status bits excluded). */
export function rangedChannels(profile: Profile): Map<string, ChannelRange> {
  return new Map<string, ChannelRange>([...profile.channels, ...profile.derived].map((c) => [c.key, c]));
}

export function resolveRule(r: AlarmRuleConfig, channel: ChannelRange): AlarmRule {
  // toPrecision drops float noise (0.02 × 30 = 0.6000000000000001).
  const hysteresis = r.hysteresis ?? Number((DEFAULT_HYSTERESIS_FRACTION * (channel.max - channel.min)).toPrecision(12));
  return { rule: r.rule, kind: r.kind, level: r.level, threshold: r.threshold, hysteresis, latching: r.latching };
}

export interface AlarmRuleTable {
  /** Rules of a device's channel; an empty list for unknown devices and channels. */
  readonly rulesFor: (device: string, channel: string) => readonly AlarmRule[];
  /** Unit of a device's channel from its profile, undefined when unknown. */
  readonly unitOf: (device: string, channel: string) => string | undefined;
}

/**
 * The rules of every configured device's channels, resolved once at start-up (see schema.ts for
 * the order: device, profile, built-in default). References the config checker reports (unknown
 * profile, device or channel) are skipped here.
 */
export function resolveAlarmRules(
  alarms: AlarmsConfig,
  devices: ReadonlyArray<{ readonly id: string; readonly profile: string }>,
  profiles: ReadonlyMap<string, Profile>,
): AlarmRuleTable {
  const table = new Map<string, Map<string, { unit: string; rules: readonly AlarmRule[] }>>();
  for (const d of devices) {
    const profile = profiles.get(d.profile);
    if (profile === undefined) continue;
    const builtin = alarms.defaults ? BUILTIN_ALARM_DEFAULTS.get(d.profile) : undefined;
    const perChannel = new Map<string, { unit: string; rules: readonly AlarmRule[] }>();
    for (const channel of rangedChannels(profile).values()) {
      const configured = alarms.devices[d.id]?.[channel.key] ?? alarms.profiles[d.profile]?.[channel.key];
      const rules = configured !== undefined ? configured.map((r) => resolveRule(r, channel)) : (builtin?.[channel.key] ?? NO_RULES);
      perChannel.set(channel.key, { unit: channel.unit, rules });
    }
    table.set(d.id, perChannel);
  }
  return {
    rulesFor: (device, channel) => table.get(device)?.get(channel)?.rules ?? NO_RULES,
    unitOf: (device, channel) => table.get(device)?.get(channel)?.unit,
  };
}
