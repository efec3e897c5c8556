import type { Logger } from 'pino';
import { AtalayaError } from '../../protocols/errors.ts';
import { newGatewaySecret, secretBytes } from '../../protocols/sync/signature.ts';
import { decryptSecret, encryptSecret } from '../secrets.ts';
import type { RelayStore } from '../store/types.ts';
import { GATEWAY_ID_INVALID, KEY_MISMATCH } from './errors.ts';

/** Gateway ids as the agent config accepts them (agent/config/schema.ts). */
export const GATEWAY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The secret is bound to its gateway's id (AES-GCM additional data): see cloud/secrets.ts. */
const context = (gateway: string): string => `atalaya/gateway-secret/${gateway}`;

export interface GatewaySecretsOptions {
  readonly store: RelayStore;
  readonly key: Buffer;
  readonly logger: Logger;
}

/**
 * Decrypted gateway secrets, cached in memory: one AES-GCM decryption per gateway per process,
 * not per request. Gateways added while the relay runs (by `atalaya relay gateway add` in another
 * process) are read from the store on their first request. A gateway is never removed from the
 * store, so the cache never goes stale.
 */
export class GatewaySecrets {
  private readonly cache = new Map<string, Buffer>();
  private readonly logger: Logger;

  constructor(private readonly options: GatewaySecretsOptions) {
    this.logger = options.logger.child({ component: 'gateway-secrets' });
  }

  /** The HMAC key of `gateway`, undefined for an unknown gateway. */
  async get(gateway: string): Promise<Buffer | undefined> {
    const cached = this.cache.get(gateway);
    if (cached !== undefined) return cached;
    const row = await this.options.store.getGateway(gateway);
    if (row === undefined) return undefined;
    const secret = secretBytes(decryptSecret(row.secretCiphertext, this.options.key, context(gateway)));
    this.cache.set(gateway, secret);
    return secret;
  }

  /**
   * Decrypts every stored secret, so a wrong relay key stops the relay at start rather than
   * refusing every gateway later (a key can only be checked against what it encrypted).
   */
  async verifyAll(): Promise<number> {
    const rows = await this.options.store.listGateways();
    const failed: string[] = [];
    for (const row of rows) {
      try {
        this.cache.set(row.id, secretBytes(decryptSecret(row.secretCiphertext, this.options.key, context(row.id))));
      } catch {
        failed.push(row.id);
      }
    }
    if (failed.length > 0) {
      throw new AtalayaError(
        KEY_MISMATCH,
        `the relay key does not decrypt the secrets of ${failed.length} of ${rows.length} gateways (first: ${failed[0]}); is it the key they were added with?`,
        {
          details: { gateways: failed.slice(0, 20), total: rows.length },
        },
      );
    }
    this.logger.debug({ gateways: rows.length }, 'gateway secrets verified');
    return rows.length;
  }

  /** Registers a gateway with a fresh secret (stored encrypted) and returns the secret: shown once. */
  /** `orgId`: the organization that owns the gateway (issue 15); default `default`. */
  async provision(gateway: string, now: number, orgId?: string): Promise<string> {
    if (!GATEWAY_ID_PATTERN.test(gateway)) {
      throw new AtalayaError(GATEWAY_ID_INVALID, `gateway id '${gateway}': letters, digits, _ . - (1–64, starting with a letter or digit)`, {
        details: { gateway },
      });
    }
    const secret = newGatewaySecret();
    await this.options.store.addGateway(gateway, encryptSecret(secret, this.options.key, context(gateway)), now, orgId);
    this.logger.info({ gateway, org: orgId }, 'gateway added');
    return secret;
  }
}
