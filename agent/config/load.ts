import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseConfig } from '../../protocols/agent-config/parse.ts';
import { parseYamlConfig } from '../../protocols/config-errors.ts';
import { CONFIG_UNREADABLE, ConfigError } from './errors.ts';
import { type AgentConfig, configSchema } from './schema.ts';

export { parseConfig };

/**
 * Read a YAML config file. Relative paths inside it (buffer, secret, CA, certificate and key
 * files) are resolved against the
 * file's directory, so the agent behaves the same whatever its working directory.
 */
export function loadConfigFile(file: string): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(CONFIG_UNREADABLE, file, [{ path: '', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}` }], err);
  }
  const config = parseConfig(parseYamlConfig(text, file), file);
  const here = (p: string): string => path.resolve(path.dirname(file), p);
  const maybe = (p: string | undefined): string | undefined => (p === undefined ? undefined : here(p));
  config.buffer.path = here(config.buffer.path);
  config.sync.secretFile = maybe(config.sync.secretFile);
  config.sync.caFile = maybe(config.sync.caFile);
  config.mqtt.credentialsFile = maybe(config.mqtt.credentialsFile);
  config.update.root = here(config.update.root);
  config.update.dir = here(config.update.dir);
  if (config.update.publicKey !== undefined && !config.update.publicKey.includes('-----BEGIN')) config.update.publicKey = here(config.update.publicKey);
  for (const l of config.mqtt.listeners) {
    l.cert = maybe(l.cert);
    l.key = maybe(l.key);
  }
  return config;
}

/** JSON Schema of the config file, for editors (yaml-language-server) and documentation. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
