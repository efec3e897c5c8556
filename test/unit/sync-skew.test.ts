import { describe, expect, it } from 'vitest';
import { prepareRequest } from '../../agent/sync/request.ts';
import { SkewTracker } from '../../agent/sync/skew.ts';
import { SIGNATURE_HEADERS } from '../../protocols/sync/signature.ts';

describe('signing with the relay clock when the gateway clock is off', () => {
  it('follows the relay Date only beyond the threshold', () => {
    const skew = new SkewTracker(30_000);
    skew.observe(1_000_000 + 5_000, 1_000_000);
    expect(skew.offsetMs).toBe(0);
    skew.observe(1_800_000_000_000, 1_000_000); // a Pi that booted in 1970
    expect(skew.offsetMs).toBe(1_800_000_000_000 - 1_000_000);
    skew.observe(2_000_000, 2_000_500); // NTP caught up
    expect(skew.offsetMs).toBe(0);
  });

  it('puts the corrected time in the signed timestamp header', () => {
    const prepared = prepareRequest(
      {
        gatewayId: 'gw',
        bootId: 'boot',
        clock: { now: () => 1000, monotonic: () => 5 },
        clockSynced: () => false,
        secret: new Uint8Array(32).fill(7),
        path: '/v1/ingest',
        skewMs: 1_800_000_000_000,
      },
      [],
    );
    expect(prepared.headers[SIGNATURE_HEADERS.timestamp]).toBe(String(1_800_000_001_000));
  });
});
