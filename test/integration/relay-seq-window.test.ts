/**
 * Issue 19 item 11: a batch whose seq is more than ingest.maxSeqJump above the gateway's highest
 * stored seq (0 for a gateway with nothing stored) is refused, and the gateway's highestSeq is
 * left as it was: one signed batch with seq 2^53 − 1 no longer spends the gateway's seq space.
 */
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRelayConfig } from '../../cloud/config/load.ts';
import { INGEST_BUSY, INGEST_SEQ_OUT_OF_WINDOW, isIngestBusy, isIngestRefused } from '../../cloud/ingest/errors.ts';
import { GatewaySecrets } from '../../cloud/ingest/gateway-secrets.ts';
import { Ingestor } from '../../cloud/ingest/ingest.ts';
import { parseRelayKey } from '../../cloud/secrets.ts';
import type { RelayStore } from '../../cloud/store/types.ts';
import { encodeBatch } from '../../protocols/sync/batch.ts';
import { testLogger } from '../helpers/logger.ts';
import { batchOf, get, readings, send, signedHeaders, startTestRelay, type TestRelay } from './relay-setup.ts';

let t: TestRelay;

beforeAll(async () => {
  t = await startTestRelay();
});
afterAll(async () => {
  await t?.stop();
});

/** One reading with seq `seq` (its times those of seq 1). */
const atSeq = (seq: number) => readings(1).map((r) => ({ ...r, seq }));

async function highestSeq(id: string): Promise<unknown> {
  const res = await get(t.url, '/v1/gateways', t.token);
  return (res.body['gateways'] as Array<Record<string, unknown>>).find((g) => g['id'] === id)?.['highestSeq'];
}

/** An Ingestor on the test relay's store (or `store`), as a second relay on the same database would have. */
function ingestor(maxSeqJump: number, ingest: Record<string, number> = {}, store: RelayStore = t.relay.store): Ingestor {
  const logger = testLogger();
  const limits = { ...parseRelayConfig({ ingest }).ingest, maxSeqJump };
  return new Ingestor({
    store,
    secrets: new GatewaySecrets({ store: t.relay.store, key: parseRelayKey(t.key, 'test'), logger }),
    clock: { now: () => Date.now(), monotonic: () => performance.now() },
    limits,
    logger,
  });
}

async function handle(ing: Ingestor, gateway: string, secret: string, firstSeq: number, n = 1): Promise<unknown> {
  const body = encodeBatch(batchOf(gateway, readings(n, { firstSeq })));
  try {
    return await ing.handle(signedHeaders(gateway, secret, body), body);
  } catch (err) {
    return err;
  }
}

describe('the seq window above highestSeq', () => {
  it('refuses seq 2^53 − 1, from a new gateway and from one with records, and leaves highestSeq alone', async () => {
    const secret = await t.addGateway('gw-max');
    const first = await send(t.url, secret, batchOf('gw-max', atSeq(Number.MAX_SAFE_INTEGER)));
    expect([first.status, first.body['error']]).toEqual([400, 'malformed']);
    expect(await highestSeq('gw-max')).toBeNull();

    expect((await send(t.url, secret, batchOf('gw-max', readings(3, { firstSeq: 1 })))).status).toBe(200);
    const again = await send(t.url, secret, batchOf('gw-max', atSeq(Number.MAX_SAFE_INTEGER)));
    expect([again.status, again.body['error']]).toEqual([400, 'malformed']);
    expect(await highestSeq('gw-max')).toBe(3);

    // The default window (1e9) above the highest stored seq is accepted, one more is not.
    expect((await send(t.url, secret, batchOf('gw-max', atSeq(3 + 1_000_000_000)))).status).toBe(200);
    expect((await send(t.url, secret, batchOf('gw-max', atSeq(3 + 2_000_000_001)))).status).toBe(400);
    expect(await highestSeq('gw-max')).toBe(1_000_000_003);
  });

  it('refuses with ATALAYA_INGEST_SEQ_OUT_OF_WINDOW, and reads the store again before refusing (another relay may have stored more)', async () => {
    const secret = await t.addGateway('gw-two-relays');
    const a = ingestor(100);
    const b = ingestor(100);
    expect(await handle(a, 'gw-two-relays', secret, 1, 50)).toMatchObject({ highestSeq: 50 });
    expect(isIngestRefused(await handle(a, 'gw-two-relays', secret, 151), INGEST_SEQ_OUT_OF_WINDOW)).toBe(true);
    // Relay b stores up to 140; relay a, which last saw 50, accepts 240 after reading the store.
    expect(await handle(b, 'gw-two-relays', secret, 51, 90)).toMatchObject({ highestSeq: 140 });
    expect(await handle(a, 'gw-two-relays', secret, 240)).toMatchObject({ highestSeq: 240 });
    expect(await highestSeq('gw-two-relays')).toBe(240);
  });
});

describe('the decode budget', () => {
  it('refuses a batch while decoded batches waiting for the store fill ingest.maxDecodeBytesInFlight, then takes it', async () => {
    const secret = await t.addGateway('gw-budget');
    let open: () => void = () => {};
    let entered: () => void = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const waiting = new Promise<void>((resolve) => (entered = resolve));
    // The store holds the first batch until the gate opens, as a slow database would.
    const slow = new Proxy(t.relay.store, {
      get(target, prop) {
        if (prop === 'ingest') {
          return async (input: Parameters<RelayStore['ingest']>[0]) => {
            entered();
            await gate;
            return target.ingest(input);
          };
        }
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    // Room for one batch of 200 readings, not two.
    const inflated = zlib.gunzipSync(encodeBatch(batchOf('gw-budget', readings(200)))).length;
    const room = Math.max(1024, Math.ceil(inflated * 1.5));
    const ing = ingestor(1_000_000_000, { maxInflatedBytes: room, maxDecodeBytesInFlight: room }, slow);
    const first = handle(ing, 'gw-budget', secret, 1, 200);
    await waiting;
    const busy = await handle(ing, 'gw-budget', secret, 201, 200);
    expect(isIngestBusy(busy) && busy.code).toBe(INGEST_BUSY);
    open();
    expect(await first).toMatchObject({ highestSeq: 200 });
    expect(await handle(ing, 'gw-budget', secret, 201, 200)).toMatchObject({ highestSeq: 400 });
  });
});
