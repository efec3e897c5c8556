import { z } from 'zod';
import { alertsConfigSchema } from '../alerts/config.ts';
import { anchorConfigSchema } from '../anchor/config.ts';
import { dgaConfigSchema } from '../dga/config.ts';
import { fleetConfigSchema } from '../fleet/schema.ts';
import { identityConfigSchema } from '../identity/config.ts';
import { sourcesConfigSchema } from '../providers/config.ts';
import { releasesConfigSchema } from '../releases/config.ts';

const MIB = 1_048_576;

const tlsSchema = z.strictObject({
  cert: z.string().min(1).describe('PEM certificate chain file (relative paths: to the config file)'),
  key: z.string().min(1).describe('PEM private key file (relative paths: to the config file)'),
});

const listenSchema = z.strictObject({
  host: z.string().min(1).default('0.0.0.0').describe('Address to listen on; 127.0.0.1 behind a reverse proxy on the same host'),
  port: z.number().int().min(0).max(65535).default(8080).describe('TCP port (0: any free port); plain HTTP unless tls is set'),
  tls: tlsSchema.optional().describe('Serve HTTPS directly; leave out when a reverse proxy terminates TLS (cloud/README.md)'),
  trustProxy: z
    .union([z.boolean(), z.number().int().min(1).max(10), z.array(z.string().min(1)).min(1)])
    .default(false)
    .describe(
      'Trust X-Forwarded-For/-Proto from: false (nobody), true (anyone: only when unreachable but through the proxy), a hop count, or proxy addresses/CIDRs',
    ),
  requestTimeoutMs: z
    .number()
    .int()
    .min(1000)
    .max(3_600_000)
    .default(120_000)
    .describe(
      'Longest the headers, and then the body, of a request may take to arrive, ms; a slower request (a trickled body) is answered 408 and its connection closed, a silent connection closed. 120 s lets 8 MiB through at ~600 kbit/s',
    ),
  maxConnections: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(1024)
    .describe(
      'Open connections at once, all clients together; more are closed as they arrive. Bounds the memory of bodies in flight: maxConnections × ingest.maxBodyBytes',
    ),
  maxConnectionsPerAddress: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(64)
    .describe(
      'Open connections from one client address; more are closed as they arrive. Not applied to a trusted proxy (trustProxy): behind a proxy every connection comes from it. Gateways behind one carrier NAT share an address: one connection each',
    ),
});

const sqliteSchema = z.strictObject({
  kind: z.literal('sqlite'),
  path: z.string().min(1).default('./data/relay.db').describe('SQLite file (relative paths: to the config file); its directory is created'),
  synchronous: z
    .enum(['full', 'normal'])
    .default('full')
    .describe('full: every acknowledged batch survives a power cut; normal: faster, a power cut may lose the last commits the gateways were told are stored'),
});

const postgresSchema = z.strictObject({
  kind: z.literal('postgres'),
  url: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL')
    .describe('Connection URL, e.g. postgres://relay@db.internal/atalaya (password from PGPASSWORD or ~/.pgpass keeps it out of this file)'),
  maxConnections: z.number().int().min(1).max(1000).default(10).describe('Connection pool size of this relay'),
});

const ingestSchema = z
  .strictObject({
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(256 * MIB)
      .default(8 * MIB)
      .describe('Largest request body (gzip batch), bytes; larger → 413 too_large'),
    maxInflatedBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * MIB)
      .default(16 * MIB)
      .describe(
        'Largest batch once decompressed, bytes (gzip-bomb guard, checked while inflating); larger → 413 too_large. A batch of 10,000 records is 0.7–3 MiB',
      ),
    maxDecodeBytesInFlight: z
      .number()
      .int()
      .min(1024)
      .max(8192 * MIB)
      .default(64 * MIB)
      .describe(
        'Decompressed bytes all requests together may hold while being decoded, bytes; each decode reserves maxInflatedBytes; beyond → 503, retry later. At least maxInflatedBytes',
      ),
    maxRecords: z.number().int().min(1).max(1_000_000).default(10_000).describe('Most records in one batch; more → 413 too_large'),
    maxSeqJump: z
      .number()
      .int()
      .min(1)
      .max(Number.MAX_SAFE_INTEGER)
      .default(1_000_000_000)
      .describe(
        "Largest seq accepted above the gateway's highest stored seq (0 for a gateway with none); more → 400 malformed. Keeps a gateway from spending its seq space (up to 2^53 − 1) in one batch",
      ),
    skewMs: z
      .number()
      .int()
      .min(1000)
      .max(3_600_000)
      .default(300_000)
      .describe('Largest accepted |relay clock − request timestamp|, ms; also how long a nonce is remembered'),
    refusalLogIntervalMs: z
      .number()
      .int()
      .min(100)
      .max(3_600_000)
      .default(10_000)
      .describe(
        'Refused ingest requests are logged as one summary line per interval, ms (counts by refusal and addresses), never one line per request; conflicts and forbidden writes are logged each',
      ),
  })
  .refine((ingest) => ingest.maxDecodeBytesInFlight >= ingest.maxInflatedBytes, {
    path: ['maxDecodeBytesInFlight'],
    message: 'must be at least maxInflatedBytes (one batch at a time)',
  });

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'the sha256 of a token, 64 lowercase hex digits (atalaya relay token add)');

const namedTokenSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, '1..64 letters, digits, . _ @ -, e.g. alice')
      .describe('Who holds the token: named in the DGA review audit'),
    sha256: sha256Hex,
  })
  .describe('A named operator token (atalaya relay token add --name alice)');

export const relayConfigSchema = z.strictObject({
  listen: listenSchema.prefault({}),
  storage: z
    .discriminatedUnion('kind', [sqliteSchema, postgresSchema])
    .default({ kind: 'sqlite', path: './data/relay.db', synchronous: 'full' })
    .describe('Where records are kept: sqlite (one relay) or postgres (several relays on one database)'),
  keyFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      'File holding the relay key (32 random bytes, base64; atalaya relay keygen) that encrypts gateway secrets at rest; ATALAYA_RELAY_KEY overrides it',
    ),
  apiTokens: z
    .array(z.union([sha256Hex, namedTokenSchema]))
    .default([])
    .describe(
      'Each operator token accepted by the APIs as Authorization: Bearer, acting as the platform owner (issue 15): its sha256 (hex), or { name, sha256 } so the audit names who acted (an unnamed one is token-<first 8 hex of its hash>); ATALAYA_RELAY_API_TOKENS adds more (comma-separated sha256)',
    ),
  ingest: ingestSchema.prefault({}),
  dga: dgaConfigSchema
    .prefault({})
    .describe(
      "Reports of flow, totalizer and level to Chile's DGA (Res. Ex. DGA 2.170/2025); credentials via `atalaya relay dga credentials`, not in this file",
    ),
  anchor: anchorConfigSchema
    .prefault({})
    .describe('Ethereum anchoring of every record received, one transaction per period (docs/anchoring.md); key via ATALAYA_ANCHOR_KEY or anchor.keyFile'),
  alerts: alertsConfigSchema
    .prefault({})
    .describe('Alerts by email, webhook and SMS: recipient groups, rules, escalation, quiet hours, digest (cloud/alerts/README.md)'),
  fleet: fleetConfigSchema.prefault({}).describe('Gateway health and the signed relay → gateway channel (cloud/fleet/README.md)'),
  sources: sourcesConfigSchema,
  identity: identityConfigSchema
    .prefault({})
    .describe('Dashboard sign-in: session lifetime and idle timeout, lockout after wrong passwords, per-address limit (cloud/identity/README.md)'),
  releases: releasesConfigSchema.prefault({}).describe('Signed agent releases for over-the-air updates, with canary rollouts (cloud/releases/README.md)'),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    })
    .prefault({}),
});

export type RelayConfig = z.output<typeof relayConfigSchema>;
export type StorageConfig = RelayConfig['storage'];
