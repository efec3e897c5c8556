import { readFileSync } from 'node:fs';
import { secretBytes } from '../../protocols/sync/signature.ts';
import { secretError } from './errors.ts';
import { GATEWAY_SECRET_ENV } from './schema.ts';
import type { SyncConfig } from './schema.ts';

/**
 * The gateway secret as bytes: from `secretFile` when set, else from ATALAYA_GATEWAY_SECRET.
 * Errors name where the secret was looked for, never its value.
 */
export function loadGatewaySecret(config: Pick<SyncConfig, 'secretFile'>, env: NodeJS.ProcessEnv = process.env): Uint8Array {
  let text: string;
  let source: string;
  if (config.secretFile !== undefined) {
    source = config.secretFile;
    try {
      text = readFileSync(config.secretFile, 'utf8');
    } catch (err) {
      throw secretError(source, 'cannot read the file', err);
    }
  } else {
    source = `$${GATEWAY_SECRET_ENV}`;
    const value = env[GATEWAY_SECRET_ENV];
    if (value === undefined) throw secretError('sync.secretFile', `not set, nor ${GATEWAY_SECRET_ENV}: put the secret printed by \`atalaya relay gateway add\` in a file`);
    text = value;
  }
  text = text.trim();
  if (text === '') throw secretError(source, 'empty');
  try {
    return secretBytes(text);
  } catch (err) {
    // The cause is dropped on purpose: a parse error could quote the secret.
    void err;
    throw secretError(source, 'not a secret as printed by `atalaya relay gateway add`');
  }
}
