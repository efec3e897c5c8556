import { z } from 'zod';

/** Environment variable adding access tokens (comma-separated sha256 hex) to `status.tokens`. */
export const STATUS_TOKENS_ENV = 'ATALAYA_STATUS_TOKENS';

export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'the sha256 of a token, 64 lowercase hex digits (atalaya agent token add)');

/**
 * The `status:` section: the technician's status page and its JSON APIs (agent/status/README.md).
 * It listens on the LAN by default so a phone on the site's network reaches it; every API needs a
 * token, so with no token configured the page shows nothing.
 */
export const statusConfigSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Serve the status page and its APIs'),
  host: z.string().min(1).default('0.0.0.0').describe("Address to listen on: 0.0.0.0 for the LAN (a technician's phone), 127.0.0.1 for this machine only"),
  port: z.number().int().min(0).max(65535).default(8080).describe('TCP port, 0..65535; 0 = any free port'),
  tokens: z
    .array(sha256Hex)
    .default([])
    .describe(`sha256 (hex) of each access token (atalaya agent token add); ${STATUS_TOKENS_ENV} adds more (comma-separated). None: every API answers 401`),
});

export type StatusConfig = z.output<typeof statusConfigSchema>;
