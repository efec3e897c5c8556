import { describe, expect, it } from 'vitest';
import { runFaultLoop } from '../helpers/fault-loop.ts';

/**
 * Issue 19 item 7, the short fault loop: a full buffer (it evicts all the time) syncing through a
 * proxy that stalls and cuts the link, the agent side and the relay SIGKILLed a few dozen times
 * on a seeded schedule. At the end the counts add up exactly: records stored at the relay +
 * evicted + still buffered = the last committed seq. (Before the fix, rows evicted while their
 * batch was in flight, then acknowledged, counted twice: 2,453 too many in 58,000.) The long
 * loop: test/bench/fault-loop.ts.
 */
describe('buffer accounting under faults', () => {
  it('stored at the relay + evicted + buffered = last seq, exactly', async () => {
    const r = await runFaultLoop({ steps: 30, seed: 20_261_207 });
    const summary = JSON.stringify(r);
    expect(r.evicted, summary).toBeGreaterThan(0);
    expect(r.atRelay, summary).toBeGreaterThan(0);
    expect(r.atRelay + r.evicted + r.buffered, summary).toBe(r.lastSeq);
    expect(r.childKills, summary).toBeGreaterThan(5);
    expect(r.relayKills, summary).toBeGreaterThan(0);
  }, 120_000);
});
