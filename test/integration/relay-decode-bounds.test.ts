/**
 * Issue 19 item 11: a gateway's secret holder must not be able to hurt the relay. Signed gzip
 * bombs (bodies that inflate to huge but valid JSON) and deeply nested JSON are refused while
 * inflating, before JSON.parse: the relay's memory stays bounded and the other gateways' requests
 * keep their latency.
 */
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HardenedRelay, memoryOf, startHardenedRelay } from './relay-hardening-setup.ts';
import { batchOf, readings, send } from './relay-setup.ts';

const MIB = 1_048_576;
let r: HardenedRelay;

beforeAll(async () => {
  r = await startHardenedRelay('', ['gw-bad', 'gw-good']);
}, 120_000);
afterAll(async () => {
  await r?.stop();
});

/** gzip of `prefix` + `unit` × count + `suffix`, built chunk by chunk. */
function bomb(prefix: string, unit: string, count: number, suffix: string): Buffer {
  const block = unit.repeat(Math.ceil(MIB / unit.length));
  const blocks = Math.floor(count / (block.length / unit.length));
  const text = [prefix, ...Array.from({ length: blocks }, () => block), suffix].join('');
  return zlib.gzipSync(text, { level: 9 });
}

/** p-th percentile of `values`. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('decoding signed bodies within bounds', () => {
  it('five signed gzip bombs of valid JSON, each just under maxInflatedBytes, are refused 413 and the relay stays small', async () => {
    const pid = r.relay.process.child.pid!;
    // 15 MiB of '0,' inflated (the default maxInflatedBytes is 16 MiB): 7.8 million array entries once parsed.
    const body = bomb('{"v":1,"gateway":"gw-bad","n":0,"pad":[', '0,', 7.5 * MIB, '0]}');
    expect(body.length).toBeLessThan(MIB);
    const before = memoryOf(pid, 'VmRSS');
    const started = Date.now();
    const sent = await Promise.all(Array.from({ length: 5 }, () => send(r.relay.url, r.secrets.get('gw-bad')!, body, { as: 'gw-bad' })));
    const peak = memoryOf(pid, 'VmHWM');
    console.log(`gzip bombs ×5: ${Date.now() - started} ms, relay RSS ${(before / MIB).toFixed(0)} MiB before, peak ${(peak / MIB).toFixed(0)} MiB`);
    expect(sent.map((s) => [s.status, s.body['error']])).toEqual(Array.from({ length: 5 }, () => [413, 'too_large']));
    expect(peak - before).toBeLessThan(64 * MIB);
  });

  it('signed 10 MB deeply nested JSON is refused 400 without holding up another gateway', async () => {
    const nested = zlib.gzipSync(`${'['.repeat(5 * MIB)}${']'.repeat(5 * MIB)}`, { level: 9 });
    const latencies: number[] = [];
    let running = true;
    let seq = 1;
    // Warm-up (first requests compile the relay's code paths): not measured.
    for (; seq < 50; seq += 5)
      expect((await send(r.relay.url, r.secrets.get('gw-good')!, batchOf('gw-good', readings(5, { firstSeq: seq })))).status).toBe(200);
    const good = (async () => {
      while (running) {
        const t0 = performance.now();
        const res = await send(r.relay.url, r.secrets.get('gw-good')!, batchOf('gw-good', readings(5, { firstSeq: seq })));
        latencies.push(performance.now() - t0);
        expect(res.status).toBe(200);
        seq += 5;
      }
    })();
    try {
      for (let i = 0; i < 20; i++) {
        const res = await send(r.relay.url, r.secrets.get('gw-bad')!, nested, { as: 'gw-bad' });
        expect([res.status, res.body['error']]).toEqual([400, 'malformed']);
      }
    } finally {
      running = false;
      await good;
    }
    const p99 = percentile(latencies, 99);
    console.log(
      `nested bodies ×20: other gateway ${latencies.length} requests, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`,
    );
    expect(p99).toBeLessThan(300);
  });
});
