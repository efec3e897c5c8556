import { isAtalayaError } from '../../protocols/errors.ts';
import { planReads } from '../../protocols/modbus/planner.ts';
import { BUILTIN_PROFILES, type Profile } from '../../protocols/profiles/index.ts';
import { checkAlarmsConfig } from '../alarms/check.ts';
import type { ConfigProblem } from './errors.ts';
import { profileTable } from './profiles.ts';
import type { AgentConfig } from './schema.ts';

/** Checks across fields that a schema alone cannot express. Returns every problem found. */
export function checkConfig(config: AgentConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: string, message: string): void => {
    problems.push({ path, message });
  };
  const profiles = profileTable(config);

  for (const id of Object.keys(config.profiles)) {
    if (BUILTIN_PROFILES.has(id)) add(`profiles.${id}`, `'${id}' is a built-in profile; give yours another id`);
    else checkProfile(profiles.get(id)!, `profiles.${id}`, add);
  }

  const lines = new Map(config.serial.map((s, i) => [s.id, i]));
  duplicates(
    config.serial.map((s) => s.id),
    (i, v) => add(`serial[${i}].id`, `duplicate line id '${v}'`),
  );
  duplicates(
    config.serial.map((s) => s.path),
    (i, v) => add(`serial[${i}].path`, `'${v}' is already used by another line`),
  );
  duplicates(
    config.devices.map((d) => d.id),
    (i, v) => add(`devices[${i}].id`, `duplicate device id '${v}'`),
  );

  const addresses = config.devices.map(
    (d) => `${d.serial !== undefined ? `serial ${d.serial}` : d.tcp !== undefined ? `tcp ${d.tcp.host}:${d.tcp.port}` : ''} unit ${d.unitId}`,
  );
  duplicates(addresses, (i, v) => add(`devices[${i}].unitId`, `another device already answers at ${v}`));

  config.devices.forEach((d, i) => {
    const at = `devices[${i}]`;
    if ((d.serial === undefined) === (d.tcp === undefined)) add(at, 'give exactly one of serial (a line id) or tcp (host, port)');
    if (d.serial !== undefined) {
      if (!lines.has(d.serial)) add(`${at}.serial`, `no serial line '${d.serial}'; defined: ${[...lines.keys()].join(', ') || 'none'}`);
      if (d.unitId < 1 || d.unitId > 247) add(`${at}.unitId`, 'on a serial line the unit id is 1..247 (0 is broadcast)');
    }
    const profile = profiles.get(d.profile);
    if (profile === undefined) {
      add(`${at}.profile`, `unknown profile '${d.profile}'; known: ${[...profiles.keys()].join(', ')}`);
      return;
    }
    for (const derived of profile.derived) {
      if (d.params[derived.param] === undefined)
        add(`${at}.params.${derived.param}`, `required by profile '${profile.id}' to compute ${derived.key} (${derived.description})`);
    }
    if (!BUILTIN_PROFILES.has(d.profile)) return;
    try {
      planReads([...profile.channels, ...profile.status], { maxGap: d.maxGap, perField: d.perFieldRequests });
    } catch (err) {
      if (!isAtalayaError(err)) throw err;
      add(at, `profile '${profile.id}' cannot be planned: ${err.message}`);
    }
  });
  problems.push(...checkAlarmsConfig(config.alarms, config.devices, profiles));
  if (config.fleet.enabled === true && !config.sync.enabled) add('fleet.enabled', 'needs sync enabled: the fleet channel uses sync.url and the gateway secret');
  return problems;
}

function checkProfile(p: Profile, at: string, add: (path: string, message: string) => void): void {
  const keys = [...p.channels.map((c) => c.key), ...p.status.map((s) => s.key), ...p.derived.map((d) => d.key)];
  duplicates(keys, (_i, v) => add(at, `duplicate channel key '${v}'`));
  const channelKeys = new Set([...p.channels.map((c) => c.key), ...p.derived.map((d) => d.key)]);
  p.channels.forEach((c, i) => {
    if (c.min > c.max) add(`${at}.channels[${i}]`, `min ${c.min} is above max ${c.max}`);
  });
  p.status.forEach((s, i) => {
    s.channels.forEach((k, j) => {
      if (!channelKeys.has(k)) add(`${at}.status[${i}].channels[${j}]`, `no channel '${k}' in this profile`);
    });
  });
  p.derived.forEach((d, i) => {
    if (!p.channels.some((c) => c.key === d.source)) add(`${at}.derived[${i}].source`, `no channel '${d.source}' in this profile`);
  });
  try {
    planReads([...p.channels, ...p.status]);
  } catch (err) {
    if (!isAtalayaError(err)) throw err;
    add(at, err.message);
  }
}

function duplicates(values: readonly string[], report: (index: number, value: string) => void): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) report(i, v);
    seen.add(v);
  });
}
