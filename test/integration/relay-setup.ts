/** Shared by the relay tests: a relay on port 0 with a temp SQLite store, records, signed requests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import type { FleetRelayPart } from '../../cloud/fleet/part.ts';
import { hashApiToken, newApiToken } from '../../cloud/http/auth.ts';
import { GatewaySecrets } from '../../cloud/ingest/gateway-secrets.ts';
import { Relay } from '../../cloud/main.ts';
import { newRelayKey, parseRelayKey } from '../../cloud/secrets.ts';
import type { Clock } from '../../protocols/clock.ts';
import type { StoredRecord } from '../../protocols/records.ts';
import { encodeBatch } from '../../protocols/sync/batch.ts';
import { newNonce, SIGNATURE_HEADERS, secretBytes, signRequest } from '../../protocols/sync/signature.ts';
import { INGEST_PATH, type SyncBatch } from '../../protocols/sync/types.ts';
import { testLogger } from '../helpers/logger.ts';

export const BOOT = '5f1c2e0a-1b2c-4d5e-8f90-a1b2c3d4e5f6';

export interface TestRelay {
  readonly relay: Relay;
  readonly url: string;
  /** An operator token the relay accepts. */
  readonly token: string;
  readonly key: string;
  readonly dir: string;
  /** Registers a gateway and returns its secret, as `atalaya relay gateway add` does. */
  addGateway(id: string): Promise<string>;
  stop(): Promise<void>;
}

export interface TestRelayOptions {
  readonly storage?: Record<string, unknown>;
  readonly ingest?: Record<string, number>;
  readonly clock?: Clock;
  /** The anchor: section; anchoring then runs only when the test calls cut()/tick(). */
  readonly anchor?: Record<string, unknown>;
  /** The alerts: section (issue 13). */
  readonly alerts?: Record<string, unknown>;
  /** Environment besides ATALAYA_RELAY_KEY (e.g. ATALAYA_ANCHOR_KEY). */
  readonly env?: Record<string, string>;
  /** Merged into the listen: section (host 127.0.0.1, port 0). */
  readonly listen?: Record<string, unknown>;
  /** The fleet: section (issue 16). */
  readonly fleet?: Record<string, unknown>;
  /** Fleet parts to register (cloud/fleet/part.ts). */
  readonly fleetParts?: readonly FleetRelayPart[];
}

export async function startTestRelay(options: TestRelayOptions = {}): Promise<TestRelay> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-relay-'));
  const token = newApiToken();
  const key = newRelayKey();
  const config = parseRelayConfig({
    listen: { host: '127.0.0.1', port: 0, ...options.listen },
    storage: options.storage ?? { kind: 'sqlite', path: path.join(dir, 'relay.db') },
    apiTokens: [hashApiToken(token)],
    ingest: options.ingest ?? {},
    ...(options.anchor === undefined ? {} : { anchor: options.anchor }),
    ...(options.alerts === undefined ? {} : { alerts: options.alerts }),
    ...(options.fleet === undefined ? {} : { fleet: options.fleet }),
  });
  const logger = testLogger();
  const relay = new Relay(config, {
    logger,
    env: { ...options.env, ATALAYA_RELAY_KEY: key },
    anchorSchedule: false,
    ...(options.fleetParts === undefined ? {} : { fleetParts: options.fleetParts }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  try {
    await relay.start();
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { port } = relay.address;
  return {
    relay,
    url: `http://127.0.0.1:${port}`,
    token,
    key,
    dir,
    addGateway: (id) => new GatewaySecrets({ store: relay.store, key: parseRelayKey(key, 'test'), logger }).provision(id, Date.now()),
    stop: async () => {
      await relay.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `n` readings of one device, seqs from `firstSeq`, one per second from an hour before `now`. */
export function readings(
  n: number,
  options: { firstSeq?: number; now?: number; flags?: number; bootId?: string; value?: number; device?: string } = {},
): StoredRecord[] {
  const { firstSeq = 1, now = Date.now(), flags = 0, bootId = BOOT, value = 12.5, device = 'caudal-1' } = options;
  return Array.from({ length: n }, (_, i) => ({
    seq: firstSeq + i,
    kind: 'reading' as const,
    device,
    channel: i % 2 === 0 ? 'flow' : 'level',
    value: value + i,
    unit: i % 2 === 0 ? 'L/s' : 'm',
    quality: 'good' as const,
    exception: null,
    ts: now - 3_600_000 + (firstSeq + i) * 1000,
    mono: 1_000_000 + (firstSeq + i) * 1000,
    bootId,
    priority: 0 as const,
    flags,
  }));
}

export function batchOf(gateway: string, records: readonly StoredRecord[], overrides: Partial<SyncBatch> = {}): SyncBatch {
  return {
    gateway,
    sentAt: Date.now(),
    mono: Math.max(1_000_000, ...records.map((r) => r.mono)) + 500,
    bootId: BOOT,
    clockSynced: true,
    records,
    ...overrides,
  };
}

export interface SendOptions {
  /** The gateway named in the headers (default: the batch's). */
  readonly as?: string;
  readonly timestamp?: number;
  readonly nonce?: string;
  readonly contentType?: string;
  /** Headers to leave out. */
  readonly omit?: readonly string[];
}

export interface Sent {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** The exact headers and body sent: resend them for a replay. */
  readonly raw: { headers: Record<string, string>; body: Buffer };
}

export function signedHeaders(gateway: string, secret: string, body: Buffer, options: SendOptions = {}): Record<string, string> {
  const timestamp = options.timestamp ?? Date.now();
  const nonce = options.nonce ?? newNonce();
  const signature = signRequest({ method: 'POST', path: INGEST_PATH, timestamp, nonce, body, secret: secretBytes(secret) });
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/octet-stream',
    [SIGNATURE_HEADERS.gateway]: gateway,
    [SIGNATURE_HEADERS.timestamp]: String(timestamp),
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.signature]: signature,
  };
  for (const h of options.omit ?? []) delete headers[h];
  return headers;
}

export async function postRaw(url: string, headers: Record<string, string>, body: Buffer): Promise<Sent> {
  const res = await request(`${url}${INGEST_PATH}`, { method: 'POST', headers, body });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown>, raw: { headers, body } };
}

/** Signs `body` (a Buffer, or a batch to encode) with `secret` and POSTs it. */
export async function send(url: string, secret: string, payload: SyncBatch | Buffer, options: SendOptions = {}): Promise<Sent> {
  const body = Buffer.isBuffer(payload) ? payload : encodeBatch(payload);
  const gateway = options.as ?? (Buffer.isBuffer(payload) ? 'gw-1' : payload.gateway);
  return postRaw(url, signedHeaders(gateway, secret, body, options), body);
}

/** GET a read API with the operator token (or `token: null` for none). */
export async function get(
  url: string,
  pathAndQuery: string,
  token: string | null,
): Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> }> {
  const res = await request(`${url}${pathAndQuery}`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Record<string, unknown> };
}

/** Every record the relay holds, read through /v1/readings page by page. */
export async function allRecords(t: TestRelay, query = ''): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  do {
    const q = `limit=1000${query === '' ? '' : `&${query}`}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const res = await get(t.url, `/v1/readings?${q}`, t.token);
    if (res.status !== 200) throw new Error(`GET /v1/readings: ${res.status} ${JSON.stringify(res.body)}`);
    out.push(...(res.body['items'] as Array<Record<string, unknown>>));
    cursor = res.body['next'] as string | null;
  } while (cursor !== null);
  return out;
}
