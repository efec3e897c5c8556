import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, type ConfigProblem, parseYamlConfig, problemsFromZod } from '../../protocols/config-errors.ts';
import { CONFIG_INVALID, CONFIG_UNREADABLE } from '../../protocols/errors.ts';
import { type RelayConfig, relayConfigSchema } from './schema.ts';

/** Comma-separated sha256 (hex) of operator tokens, added to `apiTokens`: keeps them out of the file. */
export const API_TOKENS_ENV = 'ATALAYA_RELAY_API_TOKENS';

/** Environment the config reads; injected so tests do not touch process.env. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Validate an already-parsed config object; throws ConfigError listing every problem. */
export function parseRelayConfig(raw: unknown, source = 'config', env: Env = {}): RelayConfig {
  const result = relayConfigSchema.safeParse(raw ?? {});
  const problems: ConfigProblem[] = result.success ? [] : problemsFromZod(relayConfigSchema, result.error.issues);
  const fromEnv = (env[API_TOKENS_ENV] ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  fromEnv.forEach((t, i) => {
    if (!/^[0-9a-f]{64}$/.test(t))
      problems.push({ path: `${API_TOKENS_ENV}[${i}]`, message: 'the sha256 of a token, 64 lowercase hex digits (atalaya relay token add)' });
  });
  if (!result.success || problems.length > 0) throw new ConfigError(CONFIG_INVALID, source, problems);
  const config = result.data;
  config.apiTokens = [...new Set([...config.apiTokens, ...fromEnv])];
  return config;
}

/**
 * Read a YAML config file. Relative paths inside it (storage.path, keyFile, listen.tls) are
 * resolved against the file's directory, so the relay behaves the same whatever its working
 * directory.
 */
export function loadRelayConfigFile(file: string, env: Env = {}): RelayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(CONFIG_UNREADABLE, file, [{ path: '', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}` }], err);
  }
  const config = parseRelayConfig(parseYamlConfig(text, file), file, env);
  const dir = path.dirname(file);
  if (config.storage.kind === 'sqlite') config.storage.path = path.resolve(dir, config.storage.path);
  if (config.keyFile !== undefined) config.keyFile = path.resolve(dir, config.keyFile);
  if (config.anchor.keyFile !== undefined) config.anchor.keyFile = path.resolve(dir, config.anchor.keyFile);
  for (const source of config.sources) if (source.secretFile !== undefined) source.secretFile = path.resolve(dir, source.secretFile);
  config.releases.dir = path.resolve(dir, config.releases.dir);
  config.releases.publicKeys = config.releases.publicKeys.map((k) => (k.includes('-----BEGIN') ? k : path.resolve(dir, k)));
  if (config.listen.tls !== undefined) config.listen.tls = { cert: path.resolve(dir, config.listen.tls.cert), key: path.resolve(dir, config.listen.tls.key) };
  return config;
}

/** JSON Schema of the config file, for editors (yaml-language-server) and documentation. */
export function relayConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(relayConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
