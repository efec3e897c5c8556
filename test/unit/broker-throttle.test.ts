import { describe, expect, it } from 'vitest';
import { AuthThrottle, Semaphore } from '../../agent/broker/throttle.ts';
import type { Clock } from '../../protocols/clock.ts';

function fakeClock(): Clock & { advance(ms: number): void } {
  let t = 1_000_000;
  return { now: () => t, monotonic: () => t, advance: (ms) => void (t += ms) };
}

const HOLD = 2500;

describe('password back-off', () => {
  it('doubles the wait per failure of a source, from initialMs to maxMs', () => {
    const clock = fakeClock();
    const t = new AuthThrottle({ initialMs: 100, maxMs: 1000, clock });
    expect(t.reserve('10.0.0.9', 'det-1', HOLD)).toBe(0);
    t.failed('10.0.0.9', 'det-1');
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      clock.advance(1); // the failure of the previous check arrives after it started
      const wait = t.reserve('10.0.0.9', 'other', HOLD);
      waits.push(wait);
      clock.advance(wait);
      t.failed('10.0.0.9', 'other');
    }
    expect(waits).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('spaces parallel attempts after a failure instead of letting them all check at once, but not a clean burst', () => {
    const clock = fakeClock();
    const t = new AuthThrottle({ initialMs: 100, maxMs: 30_000, clock });
    // Devices behind one address connecting together: no failure on record, no wait.
    expect([1, 2, 3].map((i) => t.reserve('10.0.0.9', `det-${i}`, HOLD))).toEqual([0, 0, 0]);
    t.failed('10.0.0.9', '(unknown)');
    expect([1, 2, 3, 4].map(() => t.reserve('10.0.0.9', '(unknown)', HOLD))).toEqual([100, 200, 300, 400]);
  });

  it('refuses without reserving when the wait is longer than the caller holds a CONNECT', () => {
    const clock = fakeClock();
    const t = new AuthThrottle({ initialMs: 1000, maxMs: 30_000, clock });
    for (let i = 0; i < 5; i++) t.failed('10.0.0.9', 'det-1');
    const wait = t.reserve('10.0.0.9', 'det-1', HOLD);
    expect(wait).toBeGreaterThan(HOLD);
    // Many refused attempts do not push the next slot further out.
    for (let i = 0; i < 100; i++) t.reserve('10.0.0.9', 'det-1', HOLD);
    expect(t.reserve('10.0.0.9', 'det-1', HOLD)).toBe(wait);
  });

  it('applies the per-user wait from new addresses only, and a success clears its address', () => {
    const clock = fakeClock();
    const t = new AuthThrottle({ initialMs: 100, maxMs: 30_000, clock });
    expect(t.reserve('10.0.0.1', 'det-1', HOLD)).toBe(0);
    t.succeeded('10.0.0.1', 'det-1');
    clock.advance(10_000);
    // det-1 under attack from elsewhere.
    for (let i = 0; i < 8; i++) t.failed(`10.0.1.${i}`, 'det-1');
    expect(t.reserve('10.0.2.1', 'det-1', HOLD)).toBeGreaterThan(HOLD);
    expect(t.clean('10.0.2.1', 'det-1')).toBe(false);
    expect(t.reserve('10.0.0.1', 'det-1', HOLD)).toBe(0);
    expect(t.clean('10.0.0.1', 'det-1')).toBe(true);
    // A failed address that then logs in is clear again.
    t.failed('10.0.3.1', 'det-2');
    t.succeeded('10.0.3.1', 'det-2');
    expect(t.clean('10.0.3.1', 'det-3')).toBe(true);
  });

  it('forgets a key quiet for twice maxMs', () => {
    const clock = fakeClock();
    const t = new AuthThrottle({ initialMs: 100, maxMs: 1000, clock });
    for (let i = 0; i < 10; i++) t.failed('10.0.0.9', 'det-1');
    clock.advance(2001);
    t.failed('10.0.0.9', 'det-1');
    clock.advance(1);
    expect(t.reserve('10.0.0.9', 'det-1', HOLD)).toBe(99);
  });
});

describe('password check semaphore', () => {
  it('runs at most `limit` at once, urgent ones first, and refuses beyond the queue', async () => {
    const s = new Semaphore(2, 3);
    let running = 0;
    let peak = 0;
    const order: string[] = [];
    const gates: Array<() => void> = [];
    const task = (name: string) => () =>
      new Promise<void>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        order.push(name);
        gates.push(() => {
          running--;
          resolve();
        });
      });
    const all = [s.run(task('a')), s.run(task('b')), s.run(task('c')), s.run(task('d')), s.run(task('urgent'), true)];
    expect(s.run(task('e'))).toBeUndefined();
    while (order.length < 5 || gates.length > 0) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    await Promise.all(all);
    expect(peak).toBe(2);
    expect(order).toEqual(['a', 'b', 'urgent', 'c', 'd']);
  });
});
