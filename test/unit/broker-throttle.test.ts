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

  it('spaces parallel attempts on one user name, and after a failure on one address, but not devices behind one address', () => {
    const clock = fakeClock();
    const t = new AuthThrottle({ initialMs: 100, maxMs: 30_000, clock });
    // Devices behind one address connecting together: no failure on record, no wait.
    expect([1, 2, 3].map((i) => t.reserve('10.0.0.9', `det-${i}`, HOLD))).toEqual([0, 0, 0]);
    // A burst of guesses at one name from many addresses, before any has failed.
    expect([1, 2, 3].map((i) => t.reserve(`10.0.1.${i}`, '(unknown)', HOLD))).toEqual([0, 100, 200]);
    t.failed('10.0.0.8', 'det-7');
    expect([1, 2, 3].map((i) => t.reserve('10.0.0.8', `other-${i}`, HOLD))).toEqual([100, 200, 300]);
  });

  it('calls an attempt clean until something is on record against its address or user name', () => {
    const t = new AuthThrottle({ initialMs: 100, maxMs: 30_000, clock: fakeClock() });
    expect(t.clean('10.0.0.1', 'det-1')).toBe(true);
    t.reserve('10.0.0.1', 'det-1', HOLD);
    expect(t.clean('10.0.0.2', 'det-1')).toBe(false);
    t.succeeded('10.0.0.1', 'det-1');
    expect(t.clean('10.0.0.2', 'det-1')).toBe(true);
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
  it('runs at most `limit` at once (one more for urgent ones, which go first) and refuses beyond the queue', async () => {
    const s = new Semaphore(2, 4);
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
    const all = [s.run(task('a')), s.run(task('b')), s.run(task('c')), s.run(task('d')), s.run(task('e'))];
    // An urgent task takes the one slot kept beyond the limit, the next queues ahead of the others.
    all.push(s.run(task('urgent-1'), true), s.run(task('urgent-2'), true));
    expect(s.run(task('f'))).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a', 'b', 'urgent-1']);
    while (order.length < 7 || gates.length > 0) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    await Promise.all(all);
    expect(peak).toBe(3);
    expect(order).toEqual(['a', 'b', 'urgent-1', 'urgent-2', 'c', 'd', 'e']);
  });
});
