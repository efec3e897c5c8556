import { describe, expect, it } from 'vitest';
import type { DgaObraStatus } from '../../cloud/dga/status.ts';
import { refuse } from '../../cloud/ingest/errors.ts';
import { createRelayMetrics, ingestOutcome, MIN_CACHE_MS, type RelayMetricsSources } from '../../cloud/metrics/index.ts';
import type { AnchorStats } from '../../cloud/store/anchor-types.ts';
import { storeClosed, unavailable } from '../../cloud/store/errors.ts';
import type { GatewayRow } from '../../cloud/store/types.ts';
import { testLogger } from '../helpers/logger.ts';
import { parseExposition, value } from '../helpers/prom.ts';

const NOW = 1_750_000_000_000;

function fakeClock() {
  const c = { wall: NOW, mono: 1_000, now: () => c.wall, monotonic: () => c.mono };
  return c;
}

const gateway = (id: string, over: Partial<GatewayRow> = {}): GatewayRow => ({
  id,
  secretCiphertext: 'x',
  createdAt: NOW - 86_400_000,
  lastSeenAt: NOW - 12_000,
  highestSeq: 500,
  clockOffsetMs: -1500,
  records: 480,
  orgId: 'default',
  ...over,
});

const obra = (code: string, over: Partial<DgaObraStatus> = {}): DgaObraStatus =>
  ({
    obra: code,
    counts: { pending: 1, sending: 0, accepted: 40, rejected: 2, failed: 0, 'needs-attention': 0, missing: 1 },
    lateUnsent: 3,
    stopped: null,
    ...over,
  }) as DgaObraStatus;

const ANCHOR: AnchorStats = { batches: { building: 0, pending: 1, sent: 1, mined: 0, confirmed: 5 }, gasUsed: 310_000, lastGasUsed: 52_000, errors: 4 };

function setup(over: Partial<RelayMetricsSources> = {}) {
  const clock = fakeClock();
  const calls = { gateways: 0, dga: 0, anchor: 0 };
  let rows: GatewayRow[] | Error = [gateway('gw-1'), gateway('gw-2', { lastSeenAt: null, clockOffsetMs: null, highestSeq: null, records: 0 })];
  const metrics = createRelayMetrics({
    store: {
      listGateways: async () => {
        calls.gateways++;
        if (rows instanceof Error) throw rows;
        return rows;
      },
    },
    dga: () => ({
      status: async () => {
        calls.dga++;
        return [obra('OB-0101-1'), obra('OB-0101-2', { stopped: { at: 'x', reason: 'y' } })];
      },
    }),
    anchor: () => ({
      store: {
        stats: async () => {
          calls.anchor++;
          return ANCHOR;
        },
      },
    }),
    clock,
    logger: testLogger(),
    ...over,
  });
  const scrape = async () => parseExposition(await metrics.registry.metrics());
  return { clock, calls, metrics, scrape, setRows: (r: GatewayRow[] | Error) => (rows = r) };
}

describe('relay metrics', () => {
  it('reads gateways, DGA and anchoring from their stores when scraped', async () => {
    const { scrape } = setup();
    const f = await scrape();
    expect(value(f, 'atalaya_relay_gateways')).toBe(2);
    expect(value(f, 'atalaya_relay_gateway_last_seen_age_seconds', { gateway: 'gw-1' })).toBe(12);
    expect(value(f, 'atalaya_relay_gateway_last_seen_age_seconds', { gateway: 'gw-2' })).toBeUndefined();
    expect(value(f, 'atalaya_relay_gateway_clock_offset_seconds', { gateway: 'gw-1' })).toBe(-1.5);
    expect(value(f, 'atalaya_relay_gateway_records', { gateway: 'gw-1' })).toBe(480);
    expect(value(f, 'atalaya_relay_gateway_highest_seq', { gateway: 'gw-1' })).toBe(500);
    expect(value(f, 'atalaya_dga_submissions', { obra: 'OB-0101-1', state: 'accepted' })).toBe(40);
    expect(value(f, 'atalaya_dga_submissions', { obra: 'OB-0101-1', state: 'needs-attention' })).toBe(0);
    expect(value(f, 'atalaya_dga_late_unsent', { obra: 'OB-0101-1' })).toBe(3);
    expect(value(f, 'atalaya_dga_obra_stopped', { obra: 'OB-0101-2' })).toBe(1);
    expect(value(f, 'atalaya_anchor_batches', { status: 'confirmed' })).toBe(5);
    expect(value(f, 'atalaya_anchor_pending_batches')).toBe(2);
    expect(value(f, 'atalaya_anchor_last_gas_used')).toBe(52_000);
    expect(f.get('atalaya_anchor_gas_used_total')?.type).toBe('counter');
    expect(value(f, 'atalaya_anchor_gas_used_total')).toBe(310_000);
    expect(value(f, 'atalaya_anchor_errors_total')).toBe(4);
    expect(f.get('process_cpu_seconds_total')?.type).toBe('counter');
  });

  it('asks each store once per cache period, however many metrics and scrapes', async () => {
    const { scrape, calls, clock } = setup();
    await Promise.all([scrape(), scrape(), scrape()]);
    await scrape();
    expect(calls).toEqual({ gateways: 1, dga: 1, anchor: 1 });
    // Ages keep moving between reads: computed at scrape time from the cached instant.
    clock.wall += 3000;
    clock.mono += MIN_CACHE_MS - 1;
    expect(value(await scrape(), 'atalaya_relay_gateway_last_seen_age_seconds', { gateway: 'gw-1' })).toBe(15);
    expect(calls.gateways).toBe(1);
    clock.mono += 10_000;
    await scrape();
    expect(calls).toEqual({ gateways: 2, dga: 2, anchor: 2 });
  });

  it('never caches for less than the minimum', async () => {
    const { scrape, calls, clock } = setup({ cacheMs: 1 });
    await scrape();
    clock.mono += MIN_CACHE_MS - 1;
    await scrape();
    expect(calls.gateways).toBe(1);
  });

  it('leaves out what a failing store cannot say, counts the failure, and recovers', async () => {
    const { scrape, clock, setRows } = setup();
    setRows(unavailable('listGateways', new Error('connection refused')));
    const f = await scrape();
    expect(value(f, 'atalaya_relay_gateways')).toBeUndefined();
    expect(f.get('atalaya_relay_gateway_last_seen_age_seconds')?.samples).toEqual([]);
    expect(value(f, 'atalaya_relay_metrics_source_errors_total', { source: 'gateways' })).toBe(1);
    expect(value(f, 'atalaya_anchor_pending_batches')).toBe(2);
    setRows([gateway('gw-1')]);
    clock.mono += 60_000;
    const later = await scrape();
    expect(value(later, 'atalaya_relay_gateways')).toBe(1);
    expect(value(later, 'atalaya_relay_metrics_source_errors_total', { source: 'gateways' })).toBe(1);
  });

  it('has no DGA or anchor samples while they are disabled', async () => {
    const { scrape } = setup({ dga: () => undefined, anchor: () => undefined });
    const f = await scrape();
    expect(f.get('atalaya_dga_submissions')?.samples).toEqual([]);
    expect(f.get('atalaya_anchor_batches')?.samples).toEqual([]);
    expect(value(f, 'atalaya_anchor_pending_batches')).toBeUndefined();
    expect(value(f, 'atalaya_relay_metrics_source_errors_total', { source: 'dga' })).toBeUndefined();
  });

  it('counts ingest requests by outcome and the records they stored', async () => {
    const { scrape, metrics } = setup();
    metrics.observeIngest('accepted', 40);
    metrics.observeIngest('accepted', 0);
    metrics.observeIngest('stale', 0);
    const f = await scrape();
    expect(value(f, 'atalaya_relay_ingest_requests_total', { outcome: 'accepted' })).toBe(2);
    expect(value(f, 'atalaya_relay_ingest_requests_total', { outcome: 'stale' })).toBe(1);
    expect(value(f, 'atalaya_relay_records_stored_total')).toBe(40);
  });

  it.each([
    [refuse('replayed', 'nonce seen'), 'replayed'],
    [refuse('conflict', 'differs', { seqs: [3] }), 'conflict'],
    [unavailable('ingest', new Error('disk full')), 'unavailable'],
    [storeClosed('ingest'), 'unavailable'],
    [Object.assign(new Error('too big'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }), 'too_large'],
    [Object.assign(new Error('media'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }), 'malformed'],
    [new Error('bug'), 'internal'],
  ])('names the ingest outcome of %o: %s', (err, outcome) => {
    expect(ingestOutcome(err)).toBe(outcome);
  });
});
