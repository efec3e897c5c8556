import { readFileSync } from 'node:fs';
import { AtalayaError } from '../../protocols/errors.ts';
import type { RelayConfig } from '../config/schema.ts';
import { TLS_UNREADABLE } from './errors.ts';

/** The listener's certificate and key, read at start; ATALAYA_RELAY_TLS_UNREADABLE names the file that cannot be read. */
export function readTls(tls: RelayConfig['listen']['tls']): { cert: Buffer; key: Buffer } | undefined {
  if (tls === undefined) return undefined;
  const read = (file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new AtalayaError(TLS_UNREADABLE, `TLS file ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
        cause: err,
        details: { file },
      });
    }
  };
  return { cert: read(tls.cert), key: read(tls.key) };
}
