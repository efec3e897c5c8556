import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AnchorService } from '../../cloud/anchor/service.ts';
import { ANVIL_DEV_KEYS } from '../../simulators/chain/anvil.ts';
import { type PromFamily, parseExposition, value } from '../helpers/prom.ts';
import { anchorSection, mine, startChain, type TestChain } from './anchor-setup.ts';
import { type Bench, HOUR, MINUTE, startBench } from './relay-dga-setup.ts';
import { batchOf, readings, send, startTestRelay, type TestRelay } from './relay-setup.ts';

/** The DGA and anchoring metrics of a real relay, read from its database when scraped. */
async function scrape(url: string, token: string): Promise<Map<string, PromFamily>> {
  const res = await request(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET /metrics: ${res.statusCode} ${text}`);
  return parseExposition(text);
}

describe('DGA metrics', () => {
  let bench: Bench | undefined;
  afterEach(async () => {
    await bench?.stop();
    bench = undefined;
  });

  it('show the submissions of each obra by state and the late ones', async () => {
    const day0 = Date.UTC(2025, 5, 16, 4, 0, 0);
    const well = {
      code: 'OB-0602-7',
      kind: 'subterranea',
      gateway: 'gw-1',
      device: 'pozo-1',
      channels: { flow: 'flow', totalizer: 'totalizer', waterColumn: 'water_column' },
      sensorDepthM: 60,
      startAt: '2025-06-16T00:00:00-04:00',
    };
    bench = await startBench({ start: day0 + 6 * HOUR + 5 * MINUTE, obras: [well] });
    // No gateway reported for six hours: every slot so far is missing, six of them past their window.
    await bench.dga.tick();
    const f = await scrape(bench.url, bench.token);
    expect(value(f, 'atalaya_dga_submissions', { obra: well.code, state: 'missing' })).toBe(7);
    expect(value(f, 'atalaya_dga_submissions', { obra: well.code, state: 'accepted' })).toBe(0);
    expect(value(f, 'atalaya_dga_late_unsent', { obra: well.code })).toBe(6);
    expect(value(f, 'atalaya_dga_obra_stopped', { obra: well.code })).toBe(0);
  });
});

describe('anchoring metrics', () => {
  let chain: TestChain;
  let relay: TestRelay | undefined;
  beforeAll(async () => {
    chain = await startChain();
  });
  afterAll(async () => {
    await chain?.stop();
  });
  afterEach(async () => {
    await relay?.stop();
    relay = undefined;
  });

  it('show batches by status and the gas a confirmed batch used', async () => {
    relay = await startTestRelay({ anchor: anchorSection(chain), env: { ATALAYA_ANCHOR_KEY: ANVIL_DEV_KEYS[0] } });
    const secret = await relay.addGateway('gw-a');
    expect((await send(relay.url, secret, batchOf('gw-a', readings(30)))).status).toBe(200);
    const anchor = relay.relay.anchor as AnchorService;
    const cut = await anchor.cut();
    if (cut === undefined) throw new Error('nothing cut');
    for (let i = 0; i < 20 && (await anchor.batch(cut.id))?.batch.status !== 'confirmed'; i++) {
      await mine(chain);
      await anchor.tick();
    }
    const done = (await anchor.batch(cut.id))!.batch;
    expect(done.status).toBe('confirmed');

    const f = await scrape(relay.url, relay.token);
    expect(value(f, 'atalaya_anchor_batches', { status: 'confirmed' })).toBe(1);
    expect(value(f, 'atalaya_anchor_pending_batches')).toBe(0);
    expect(value(f, 'atalaya_anchor_last_gas_used')).toBe(done.gasUsed);
    expect(value(f, 'atalaya_anchor_gas_used_total')).toBe(done.gasUsed);
    expect(value(f, 'atalaya_anchor_errors_total')).toBe(0);
    expect(value(f, 'atalaya_relay_gateway_records', { gateway: 'gw-a' })).toBe(30);
  });
});
