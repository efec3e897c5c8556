import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_FLAGS } from '../../protocols/records.ts';
import { ingestAckSchema, ingestErrorSchema } from '../../protocols/sync/schemas.ts';
import { SIGNATURE_HEADERS } from '../../protocols/sync/signature.ts';
import { allRecords, batchOf, get, postRaw, readings, send, signedHeaders, startTestRelay, type TestRelay } from './relay-setup.ts';

let t: TestRelay;
let secret: string;
let secretB: string;

beforeAll(async () => {
  t = await startTestRelay({ ingest: { maxBodyBytes: 16_384, maxRecords: 50, maxInflatedBytes: 65_536 } });
  secret = await t.addGateway('gw-1');
  secretB = await t.addGateway('gw-2');
});
afterAll(async () => {
  await t?.stop();
});

async function gatewayRow(id: string): Promise<Record<string, unknown> | undefined> {
  const res = await get(t.url, '/v1/gateways', t.token);
  return (res.body['gateways'] as Array<Record<string, unknown>>).find((g) => g['id'] === id);
}

describe('POST /v1/ingest', () => {
  it('stores a signed batch, acknowledges it after the commit, and serves it back', async () => {
    const records = [...readings(4, { firstSeq: 1 }), ...readings(2, { firstSeq: 10, device: 'gas-1' })];
    const res = await send(t.url, secret, batchOf('gw-1', records));
    expect(res.status).toBe(200);
    const ack = ingestAckSchema.parse(res.body);
    expect(ack).toMatchObject({
      gateway: 'gw-1',
      stored: 6,
      duplicates: 0,
      acknowledged: [
        [1, 4],
        [10, 11],
      ],
      highestSeq: 11,
    });
    const stored = await allRecords(t, 'gateway=gw-1');
    expect(stored.map((r) => r['seq']).sort((a, b) => Number(a) - Number(b))).toEqual([1, 2, 3, 4, 10, 11]);
    expect(stored.find((r) => r['seq'] === 2)).toMatchObject({ device: 'caudal-1', channel: 'level', value: 13.5, unit: 'm', tsCorrected: null });
    expect(stored.every((r) => typeof r['hash'] === 'string' && (r['hash'] as string).length === 64)).toBe(true);
    const gw = await gatewayRow('gw-1');
    expect(gw).toMatchObject({ highestSeq: 11, records: 6 });
    expect(Object.keys(gw ?? {}).some((k) => /secret/i.test(k))).toBe(false);
  });

  it('counts a resent batch (new nonce) as duplicates and stores nothing twice', async () => {
    const batch = batchOf('gw-1', readings(5, { firstSeq: 100 }));
    expect((await send(t.url, secret, batch)).body).toMatchObject({ stored: 5, duplicates: 0 });
    const again = await send(t.url, secret, batch);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ stored: 0, duplicates: 5, acknowledged: [[100, 104]] });
    expect(await allRecords(t, 'gateway=gw-1&device=caudal-1')).toHaveLength(4 + 5);
  });

  it('places records of an unsynchronized clock on the relay clock by (bootId, mono)', async () => {
    const flags = RECORD_FLAGS.clockUnsynced;
    // Gateway clock stuck in 1970 + a few days: ts is meaningless, mono is right.
    const wrong = 400_000_000;
    const thisBoot = readings(2, { firstSeq: 200, flags, now: wrong });
    const earlierBoot = readings(1, { firstSeq: 202, flags, now: wrong, bootId: 'previous-boot' });
    const batch = batchOf('gw-1', [...thisBoot, ...earlierBoot], { sentAt: wrong, clockSynced: false });
    const res = await send(t.url, secret, batch);
    expect(res.status).toBe(200);
    const relayTime = res.body['relayTime'] as number;
    const stored = await allRecords(t, 'gateway=gw-1&device=caudal-1');
    const bySeq = new Map(stored.map((r) => [r['seq'], r]));
    expect(bySeq.get(200)?.['tsCorrected']).toBe(thisBoot[0]!.mono + (relayTime - batch.mono));
    expect(bySeq.get(201)?.['tsCorrected']).toBe(thisBoot[1]!.mono + (relayTime - batch.mono));
    expect(bySeq.get(202)?.['tsCorrected']).toBeNull();
    expect((await gatewayRow('gw-1'))?.['clockOffsetMs']).toBe(relayTime - wrong);
  });

  it('refuses, with 409 conflict and an integrity alarm, a seq resent with other content, storing nothing of the batch', async () => {
    const now = Date.now();
    await send(t.url, secret, batchOf('gw-1', readings(3, { firstSeq: 300, now })));
    const before = await allRecords(t, 'gateway=gw-1');
    // 301 changed; 303 and 304 are new but must not be stored either.
    const tampered = readings(5, { firstSeq: 300, now }).map((r) => (r.seq === 301 ? { ...r, value: 99 } : r));
    const res = await send(t.url, secret, batchOf('gw-1', tampered));
    expect(res.status).toBe(409);
    expect(ingestErrorSchema.parse(res.body)).toMatchObject({ error: 'conflict', seqs: [301] });
    expect(await allRecords(t, 'gateway=gw-1')).toHaveLength(before.length);
    const alarms = await t.relay.store.integrityAlarms(10);
    expect(alarms).toContainEqual(expect.objectContaining({ gateway: 'gw-1', seq: 301 }));
    const api = await get(t.url, '/v1/integrity-alarms?limit=10', t.token);
    expect(api.body['alarms']).toContainEqual(expect.objectContaining({ gateway: 'gw-1', seq: 301 }));
  });
});

describe('POST /v1/ingest refusals: status, code, and nothing stored', () => {
  const batch = (): ReturnType<typeof batchOf> => batchOf('gw-2', readings(3, { firstSeq: 1 }));
  const gzip = (s: string): Buffer => zlib.gzipSync(s);

  const cases: Array<[name: string, status: number, error: string, act: () => Promise<{ status: number; body: Record<string, unknown> }>]> = [
    ['missing signature headers', 401, 'unauthenticated', () => send(t.url, secretB, batch(), { omit: [SIGNATURE_HEADERS.signature] })],
    ['a forged signature', 401, 'unauthenticated', () => send(t.url, secret, batch())],
    ['an unknown gateway', 401, 'unauthenticated', () => send(t.url, secretB, batchOf('gw-9', readings(3)))],
    ['gateway gw-1 signing a batch of gw-2', 403, 'forbidden', () => send(t.url, secret, batch(), { as: 'gw-1' })],
    ['a timestamp outside the skew window', 401, 'stale', () => send(t.url, secretB, batch(), { timestamp: Date.now() - 300_000 - 60_000 })],
    ['a timestamp from the future', 401, 'stale', () => send(t.url, secretB, batch(), { timestamp: Date.now() + 300_000 + 60_000 })],
    ['a body over maxBodyBytes', 413, 'too_large', () => send(t.url, secretB, randomBytes(20_000), { as: 'gw-2' })],
    ['more records than maxRecords', 413, 'too_large', () => send(t.url, secretB, batchOf('gw-2', readings(51)))],
    ['a gzip bomb over maxInflatedBytes', 413, 'too_large', () => send(t.url, secretB, zlib.gzipSync(Buffer.alloc(1_000_000, 0x20)), { as: 'gw-2' })],
    ['a body that is not gzip', 400, 'malformed', () => send(t.url, secretB, Buffer.from('{"v":1}'), { as: 'gw-2' })],
    ['gzip of something not JSON', 400, 'malformed', () => send(t.url, secretB, gzip('not json {'), { as: 'gw-2' })],
    ['JSON that is not a batch', 400, 'malformed', () => send(t.url, secretB, gzip('{"v":1,"gateway":"gw-2"}'), { as: 'gw-2' })],
    ['a JSON content type', 415, 'malformed', () => send(t.url, secretB, batch(), { contentType: 'application/json' })],
    // Authentication comes before decompression: garbage from nobody costs no gzip work.
    ['garbage without a valid signature', 401, 'unauthenticated', () => send(t.url, secret, Buffer.from('garbage'), { as: 'gw-2' })],
  ];

  it.each(cases)('%s → %i %s', async (_name, status, error, act) => {
    const before = (await allRecords(t)).length;
    const res = await act();
    expect(res.status).toBe(status);
    expect(ingestErrorSchema.parse(res.body).error).toBe(error);
    expect(await allRecords(t, 'gateway=gw-2')).toEqual([]);
    expect(await allRecords(t)).toHaveLength(before);
    expect((await gatewayRow('gw-2'))?.['records']).toBe(0);
  });

  it('refuses an identical request sent twice as replayed, storing it once', async () => {
    const first = await send(t.url, secretB, batchOf('gw-2', readings(2, { firstSeq: 500 })));
    expect(first.status).toBe(200);
    const replay = await postRaw(t.url, first.raw.headers, first.raw.body);
    expect(replay.status).toBe(401);
    expect(ingestErrorSchema.parse(replay.body).error).toBe('replayed');
    expect(await allRecords(t, 'gateway=gw-2')).toHaveLength(2);
  });

  it('does not accept a signature made over another body', async () => {
    const headers = signedHeaders('gw-2', secretB, Buffer.from('something else'));
    const res = await postRaw(t.url, headers, Buffer.from(zlib.gzipSync('x')));
    expect(res.status).toBe(401);
    expect(res.body['error']).toBe('unauthenticated');
  });
});
