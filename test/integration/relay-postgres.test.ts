import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADERS } from '../../protocols/sync/signature.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { allRecords, batchOf, get, readings, send, startTestRelay, type TestRelay } from './relay-setup.ts';

let pg: TestPostgres;
let t: TestRelay;

beforeAll(async () => {
  pg = await startPostgres();
  t = await startTestRelay({ storage: { kind: 'postgres', url: pg.url, maxConnections: 4 } });
});
afterAll(async () => {
  await t?.stop();
  await pg?.stop();
});

describe('relay on PostgreSQL', () => {
  it('stores a signed batch, counts a resend as duplicates, refuses a replay, and serves the records', async () => {
    const secret = await t.addGateway('gw-pg');
    const batch = batchOf('gw-pg', readings(20, { firstSeq: 1 }));
    const first = await send(t.url, secret, batch);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ stored: 20, duplicates: 0, acknowledged: [[1, 20]], highestSeq: 20 });
    expect((await send(t.url, secret, batch)).body).toMatchObject({ stored: 0, duplicates: 20 });
    const replay = await send(t.url, secret, batch, {
      nonce: first.raw.headers[SIGNATURE_HEADERS.nonce],
      timestamp: Number(first.raw.headers[SIGNATURE_HEADERS.timestamp]),
    });
    expect(replay.status).toBe(401);
    expect(replay.body['error']).toBe('replayed');
    expect(await allRecords(t, 'gateway=gw-pg')).toHaveLength(20);
    expect((await get(t.url, '/healthz', null)).status).toBe(200);
  });
});
