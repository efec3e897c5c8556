/** cloud/http/refusal-log.ts: one summary line per interval, bounded memory whatever the flood. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RefusalLog } from '../../cloud/http/refusal-log.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('RefusalLog', () => {
  it('writes one line per interval with counts, addresses (at most 10,000 remembered) and authenticated gateways', () => {
    const lines: Array<[Record<string, unknown>, string]> = [];
    const log = new RefusalLog({ warn: (obj, msg) => lines.push([obj as Record<string, unknown>, msg]) }, 10_000);
    for (let i = 0; i < 20_000; i++) log.note(i % 3 === 0 ? 'stale' : 'unauthenticated', `10.0.${i >> 8}.${i & 255}`);
    log.note('malformed', '10.9.9.9', 'gw-1');
    expect(lines).toHaveLength(0);
    vi.advanceTimersByTime(10_000);
    expect(lines).toEqual([
      [
        {
          total: 20_001,
          refused: { stale: 6667, unauthenticated: 13_333, malformed: 1 },
          addresses: 10_000,
          moreAddresses: true,
          gateways: { 'gw-1': 1 },
          intervalMs: 10_000,
        },
        'ingest refusals',
      ],
    ]);
    // Quiet: no line, no timer; the next refusal starts a new interval.
    vi.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(1);
    log.note('replayed', '10.0.0.1');
    log.flush();
    log.flush();
    expect(lines[1]?.[0]).toEqual({ total: 1, refused: { replayed: 1 }, addresses: 1, intervalMs: 10_000 });
    expect(vi.getTimerCount()).toBe(0);
  });
});
