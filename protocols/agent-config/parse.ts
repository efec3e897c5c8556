import { ConfigError, parseYamlConfig, problemsFromZod, withoutIssues } from '../config-errors.ts';
import { CONFIG_INVALID } from '../errors.ts';
import { checkConfig } from './check.ts';
import { type AgentConfig, configSchema } from './schema.ts';

/**
 * Validate an already-parsed agent config object: the schema, then the checks across fields.
 * Throws ConfigError (ATALAYA_CONFIG_INVALID) listing every problem with its path. The agent runs
 * it on its file and on a config from the relay; the relay runs it before accepting one (issue 16).
 */
export function parseConfig(raw: unknown, source = 'config'): AgentConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const problems = problemsFromZod(configSchema, result.error.issues);
    // Report the problems across fields in the same pass when the schema problems allow it.
    const rest = configSchema.safeParse(withoutIssues(configSchema, raw, result.error.issues));
    if (rest.success) problems.push(...checkConfig(rest.data).filter((p) => !problems.some((q) => q.path === p.path)));
    throw new ConfigError(CONFIG_INVALID, source, problems);
  }
  const problems = checkConfig(result.data);
  if (problems.length > 0) throw new ConfigError(CONFIG_INVALID, source, problems);
  return result.data;
}

/**
 * Validate a config as YAML (or JSON) text: YAML syntax, then parseConfig. With `gatewayId` it is a
 * config sent by the relay (issue 16), which must also name that gateway (a config meant for one
 * gateway never runs on another) and keep the gateway talking to the relay: without sync and the
 * fleet channel it could never be changed or rolled back remotely again.
 */
export function parseConfigText(text: string, source: string, gatewayId?: string): AgentConfig {
  const config = parseConfig(parseYamlConfig(text, source), source);
  if (gatewayId === undefined) return config;
  const problems = [
    ...(config.gateway.id === gatewayId ? [] : [{ path: 'gateway.id', message: `is '${config.gateway.id}'; this config is for gateway '${gatewayId}'` }]),
    ...(config.sync.enabled && config.sync.url !== undefined
      ? []
      : [{ path: 'sync.url', message: 'a config sent by the relay must keep sync on with a relay url (the gateway would be cut off from the relay)' }]),
    ...(config.fleet.enabled === false ? [{ path: 'fleet.enabled', message: 'a config sent by the relay must keep the fleet channel on' }] : []),
  ];
  if (problems.length > 0) throw new ConfigError(CONFIG_INVALID, source, problems);
  return config;
}
