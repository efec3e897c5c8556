import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { Dispatcher } from 'undici';
import { Agent } from 'undici';
import { caFileError } from './errors.ts';
import type { SyncConfig } from './schema.ts';

/**
 * The default HTTP client: an undici Agent (keep-alive, one connection reused between batches).
 * A caFile is added to the public roots rather than replacing them, so a relay moved behind a
 * public certificate keeps working.
 */
export function createDispatcher(config: Pick<SyncConfig, 'caFile'>): Dispatcher {
  if (config.caFile === undefined) return new Agent();
  let pem: string;
  try {
    pem = readFileSync(config.caFile, 'utf8');
  } catch (err) {
    throw caFileError(config.caFile, err);
  }
  return new Agent({ connect: { ca: [...rootCertificates, pem] } });
}
