/**
 * DGA credentials of each obra, encrypted at rest with the relay key (AES-256-GCM, cloud/secrets.ts)
 * and bound to the obra's code, like gateway secrets: a copy of the database alone does not give
 * anyone the informant's password, and a ciphertext moved to another obra's row does not decrypt.
 * Never logged; the password is only ever in the request that goes to DGA.
 */
import type { DgaCredentials } from '../../protocols/dga/index.ts';
import { isDgaError, normalizeRut } from '../../protocols/dga/index.ts';
import { decryptSecret, encryptSecret } from '../secrets.ts';
import type { DgaStore } from '../store/dga-types.ts';
import { credentialsInvalid } from './errors.ts';

const context = (obra: string): string => `atalaya/dga-credentials/${obra}`;

export class DgaCredentialStore {
  constructor(
    private readonly store: DgaStore,
    private readonly key: Buffer,
  ) {}

  /** Validates (RUT check digits, a password) and stores; throws ATALAYA_RELAY_DGA_CREDENTIALS_INVALID. */
  async set(obra: string, credentials: DgaCredentials, now: number): Promise<void> {
    const clean = checkCredentials(credentials);
    await this.store.setCredentials(obra, encryptSecret(JSON.stringify(clean), this.key, context(obra)), now);
  }

  /** Undefined when none were set; ATALAYA_RELAY_SECRET_UNDECRYPTABLE with the wrong relay key. */
  async get(obra: string): Promise<DgaCredentials | undefined> {
    const ciphertext = await this.store.getCredentials(obra);
    if (ciphertext === undefined) return undefined;
    const parsed = JSON.parse(decryptSecret(ciphertext, this.key, context(obra))) as DgaCredentials;
    return { rutUsuario: parsed.rutUsuario, rutEmpresa: parsed.rutEmpresa, password: parsed.password };
  }
}

export function checkCredentials(c: DgaCredentials): DgaCredentials {
  const rut = (field: 'rutUsuario' | 'rutEmpresa'): string => {
    try {
      return normalizeRut(c[field], field);
    } catch (err) {
      if (!isDgaError(err)) throw err;
      throw credentialsInvalid(field, 'not a valid RUT (digits, dash, mod-11 check digit, e.g. 20999888-2)', err);
    }
  };
  if (typeof c.password !== 'string' || c.password === '') throw credentialsInvalid('password', 'empty');
  return { rutUsuario: rut('rutUsuario'), rutEmpresa: rut('rutEmpresa'), password: c.password };
}
