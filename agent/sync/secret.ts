import type { Logger } from 'pino';
import { isPlatformError, PLATFORM_SECRET_FILE_UNREADABLE } from '../../platform/errors.ts';
import { readSecret, type Secret } from '../../platform/secrets.ts';
import { secretBytes } from '../../protocols/sync/signature.ts';
import { secretError } from './errors.ts';
import type { SyncConfig } from './schema.ts';
import { GATEWAY_SECRET_ENV } from './schema.ts';

/**
 * The gateway secret as bytes: from ATALAYA_GATEWAY_SECRET when set and not blank, else from
 * `secretFile` (the one rule of platform/secrets.ts). Errors name where the secret was looked for,
 * never its value. A secret file that group or others may read is worth a warning on `logger`.
 */
export function loadGatewaySecret(config: Pick<SyncConfig, 'secretFile'>, env: NodeJS.ProcessEnv = process.env, logger?: Logger): Uint8Array {
  let secret: Secret | undefined;
  try {
    secret = readSecret(GATEWAY_SECRET_ENV, config.secretFile, env);
  } catch (err) {
    if (!isPlatformError(err, PLATFORM_SECRET_FILE_UNREADABLE)) throw err;
    throw secretError(String(err.details?.['file']), 'cannot read the file', err);
  }
  if (secret === undefined)
    throw secretError('sync.secretFile', `not set, nor ${GATEWAY_SECRET_ENV}: put the secret printed by \`atalaya relay gateway add\` in a file`);
  if (secret.looselyPermitted) logger?.warn({ secretFile: secret.source }, 'gateway secret file is readable by group or others: chmod 600 it');
  const text = secret.text.trim();
  if (text === '') throw secretError(secret.source, 'empty');
  try {
    return secretBytes(text);
  } catch (err) {
    // The cause is dropped on purpose: a parse error could quote the secret.
    void err;
    throw secretError(secret.source, 'not a secret as printed by `atalaya relay gateway add`');
  }
}
