/**
 * Issue 19 item 10: a flood of refused ingest requests (anonymous, bad signature) must not write a
 * log line per request; refusals are counted in the metrics and summarised at most once per
 * `ingest.refusalLogIntervalMs`.
 */
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.ts';
import { type HardenedRelay, pool, startHardenedRelay } from './relay-hardening-setup.ts';
import { batchOf, readings, send } from './relay-setup.ts';

let r: HardenedRelay;
// Within listen.maxConnectionsPerAddress (64): the flood is refused requests, not connections.
const dispatcher = new Agent({ connections: 8 });

beforeAll(async () => {
  r = await startHardenedRelay('ingest: {refusalLogIntervalMs: 1000}\n', ['gw-1']);
});
afterAll(async () => {
  await dispatcher.close();
  await r?.stop();
});

describe('refused ingest requests in the log', () => {
  it('2,000 anonymous and forged requests give a handful of summary lines, and every one is counted', async () => {
    const before = r.lines.length;
    const n = 2000;
    await pool(n, 8, async (i) => {
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
      // Half send no signature at all, half a well-formed signature from a gateway that does not exist.
      if (i % 2 === 1) {
        Object.assign(headers, {
          'x-atalaya-gateway': 'nobody',
          'x-atalaya-timestamp': String(Date.now()),
          'x-atalaya-nonce': `nonce-${i}-abcdefghijklmnop`,
          'x-atalaya-signature': 'AAAA',
        });
      }
      const res = await request(`${r.relay.url}/v1/ingest`, { method: 'POST', headers, body: Buffer.from('x'), dispatcher });
      expect(res.statusCode).toBe(401);
      await res.body.dump();
    });
    const summary = await waitFor(
      () => {
        const lines = r.lines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
        const summaries = lines.filter((l) => l['msg'] === 'ingest refusals');
        const total = summaries.reduce((s, l) => s + Number((l['refused'] as Record<string, number>)['unauthenticated'] ?? 0), 0);
        return total === n ? { lines, summaries } : undefined;
      },
      'summaries accounting for every refusal',
      5000,
    );
    console.log(`${n} refused requests: ${summary.lines.length} log line(s), ${summary.summaries.length} of them summaries`);
    expect(summary.lines.length).toBeLessThanOrEqual(10);
    expect(summary.summaries.every((l) => l['level'] === 40)).toBe(true);
    expect(summary.summaries.every((l) => l['addresses'] === 1)).toBe(true);

    const metrics = await request(`${r.relay.url}/metrics`, { headers: { authorization: `Bearer ${r.token}` } });
    const text = await metrics.body.text();
    expect(text).toMatch(/^atalaya_relay_ingest_requests_total\{outcome="unauthenticated"\} 2000$/m);
  });

  it('an accepted batch still logs its line, and an authenticated conflict is logged on its own', async () => {
    const secret = r.secrets.get('gw-1')!;
    const before = r.lines.length;
    expect((await send(r.relay.url, secret, batchOf('gw-1', readings(3)))).status).toBe(200);
    expect((await send(r.relay.url, secret, batchOf('gw-1', readings(3, { value: 99 })))).status).toBe(409);
    await waitFor(() => r.lines.slice(before).some((l) => l.includes('"error":"conflict"')), 'the conflict line');
    expect(r.lines.slice(before).some((l) => l.includes('"msg":"batch stored"'))).toBe(true);
  });
});
