import type { Profile } from '../profiles/index.ts';
import { type ChannelRange, rangedChannels, resolveRule } from './alarms-resolve.ts';
import type { AlarmRuleConfig, AlarmsConfig } from './alarms-schema.ts';
import type { AlarmRule } from './alarms-types.ts';

/** Same shape as the agent config's ConfigProblem, so the config checker can merge the lists. */
export interface AlarmConfigProblem {
  /** e.g. `alarms.devices.gas-1.ch4[0].threshold` */
  readonly path: string;
  readonly message: string;
}

type Add = (path: string, message: string) => void;

/**
 * What the schema cannot see: references to profiles, devices and channels, duplicate rule ids,
 * and thresholds that contradict each other or the channel's range. Returns every problem found.
 * A device whose profile is unknown is skipped (the config checker reports that on the device).
 */
export function checkAlarmsConfig(
  alarms: AlarmsConfig,
  devices: ReadonlyArray<{ readonly id: string; readonly profile: string }>,
  profiles: ReadonlyMap<string, Profile>,
): AlarmConfigProblem[] {
  const problems: AlarmConfigProblem[] = [];
  const add: Add = (path, message) => {
    problems.push({ path, message });
  };
  for (const [id, channels] of Object.entries(alarms.profiles)) {
    const profile = profiles.get(id);
    if (profile === undefined) add(`alarms.profiles.${id}`, `unknown profile '${id}'; known: ${[...profiles.keys()].join(', ')}`);
    else checkChannels(channels, profile, `alarms.profiles.${id}`, add);
  }
  const byId = new Map(devices.map((d) => [d.id, d]));
  for (const [id, channels] of Object.entries(alarms.devices)) {
    const device = byId.get(id);
    if (device === undefined) {
      add(`alarms.devices.${id}`, `no device '${id}'; devices: ${[...byId.keys()].join(', ') || 'none'}`);
      continue;
    }
    const profile = profiles.get(device.profile);
    if (profile !== undefined) checkChannels(channels, profile, `alarms.devices.${id}`, add);
  }
  return problems;
}

function checkChannels(channels: Readonly<Record<string, readonly AlarmRuleConfig[]>>, profile: Profile, at: string, add: Add): void {
  const ranged = rangedChannels(profile);
  for (const [key, list] of Object.entries(channels)) {
    const channel = ranged.get(key);
    if (channel === undefined) {
      add(`${at}.${key}`, `profile '${profile.id}' has no channel '${key}' with values; channels: ${[...ranged.keys()].join(', ')}`);
      continue;
    }
    checkRules(
      list.map((r) => resolveRule(r, channel)),
      channel,
      `${at}.${key}`,
      add,
    );
  }
}

/** Checks one channel's rule list; exported so the built-in defaults can be held to the same rules. */
export function checkRules(rules: readonly AlarmRule[], channel: ChannelRange, at: string, add: Add): void {
  const range = `${channel.min}..${channel.max} ${channel.unit}`;
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (seen.has(r.rule)) add(`${at}[${i}].rule`, `duplicate rule id '${r.rule}' on this channel`);
    seen.add(r.rule);
    // A reading outside the range is out_of_range and never clears an alarm (engine.ts).
    if (r.kind === 'high') {
      if (r.threshold > channel.max) add(`${at}[${i}].threshold`, `${r.threshold} is above the channel's range ${range}`);
      else if (r.threshold - r.hysteresis <= channel.min)
        add(
          `${at}[${i}].hysteresis`,
          `the alarm could never clear: threshold − hysteresis = ${num(r.threshold - r.hysteresis)} is not above the range minimum ${channel.min}`,
        );
    } else {
      if (r.threshold < channel.min) add(`${at}[${i}].threshold`, `${r.threshold} is below the channel's range ${range}`);
      else if (r.threshold + r.hysteresis >= channel.max)
        add(
          `${at}[${i}].hysteresis`,
          `the alarm could never clear: threshold + hysteresis = ${num(r.threshold + r.hysteresis)} is not below the range maximum ${channel.max}`,
        );
    }
  });
  rules.forEach((r, i) => {
    // The warning stage comes first: below the alarm for high rules, above it for low rules.
    const stage =
      r.level === 'warning'
        ? rules.find((a) => a.level === 'alarm' && a.kind === r.kind && (r.kind === 'high' ? r.threshold >= a.threshold : r.threshold <= a.threshold))
        : undefined;
    if (stage !== undefined) {
      add(
        `${at}[${i}].threshold`,
        `${r.kind} warning at ${r.threshold} is not ${r.kind === 'high' ? 'below' : 'above'} the ${r.kind} alarm '${stage.rule}' at ${stage.threshold}`,
      );
    }
    // A value between a high threshold and a higher low threshold would raise both.
    const low = r.kind === 'high' ? rules.find((l) => l.kind === 'low' && r.threshold <= l.threshold) : undefined;
    if (low !== undefined) add(`${at}[${i}].threshold`, `high threshold ${r.threshold} is not above the low rule '${low.rule}' at ${low.threshold}`);
  });
}

function num(x: number): number {
  return Number(x.toPrecision(12));
}
