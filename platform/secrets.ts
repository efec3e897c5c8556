import { readFileSync, statSync } from 'node:fs';
import { secretFileUnreadable } from './errors.ts';

/**
 * One rule for every secret Atalaya reads (the gateway secret, the relay key, the anchoring key):
 * the environment variable, when set and not blank, wins over the file the config names; with
 * neither there is no secret. The variable is how a container, a systemd credential or a test
 * overrides what a shared config file says; the file (mode 0600) is the default on a gateway or
 * server. Neither the text nor any part of it ever reaches a log line or an error: only `source`.
 */
export interface Secret {
  /** The text as found (callers trim and parse it). */
  readonly text: string;
  /** Where it came from, for logs and errors: the variable's name or the file's path. */
  readonly source: string;
  /** The file can be read by group or others: worth a warning (chmod 600). Always false for a variable. */
  readonly looselyPermitted: boolean;
}

/**
 * The secret from `envName` in `env`, else from `file`; undefined when neither is given.
 * PLATFORM_SECRET_FILE_UNREADABLE (details.file, details.errno: ENOENT, EACCES, …) when the file
 * is named but cannot be read.
 */
export function readSecret(envName: string, file: string | undefined, env: Readonly<Record<string, string | undefined>>): Secret | undefined {
  const fromEnv = env[envName];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { text: fromEnv, source: envName, looselyPermitted: false };
  if (file === undefined) return undefined;
  return readSecretFile(file);
}

/** A secret file's text and whether others may read it; PLATFORM_SECRET_FILE_UNREADABLE when it cannot be read. */
export function readSecretFile(file: string): Secret {
  try {
    const text = readFileSync(file, 'utf8');
    return { text, source: file, looselyPermitted: (statSync(file).mode & 0o077) !== 0 };
  } catch (err) {
    throw secretFileUnreadable(file, err);
  }
}
