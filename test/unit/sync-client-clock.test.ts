import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClockWatch } from '../../agent/sync/clock.ts';
import type { Clock } from '../../protocols/clock.ts';
import { RECORD_FLAGS } from '../../protocols/records.ts';
import { testLogger } from '../helpers/logger.ts';

const Y2025 = Date.UTC(2025, 5, 1);
const Y1970 = 60_000;

/** A clock the test moves: `tick` advances both, `step` only the wall clock (what NTP or `date -s` do). */
class StepClock implements Clock {
  constructor(
    private wall: number,
    private mono = 1_000,
  ) {}
  now(): number {
    return this.wall;
  }
  monotonic(): number {
    return this.mono;
  }
  tick(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }
  step(ms: number): void {
    this.wall += ms;
  }
}

let dir: string;
let watch: ClockWatch | undefined;

function makeWatch(clock: Clock, flagDir = path.join(dir, 'timesync')): ClockWatch {
  watch = new ClockWatch({
    clock,
    logger: testLogger(),
    config: { syncFlagFile: path.join(flagDir, 'synchronized'), checkIntervalMs: 5000, jumpThresholdMs: 2000, settleMs: 60_000 },
  });
  return watch;
}

/** What timesyncd does after each synchronization: touch the flag file, stamped with the (new) wall clock. */
function touch(clock: Clock): void {
  const file = path.join(dir, 'timesync', 'synchronized');
  fs.writeFileSync(file, '');
  const t = clock.now() / 1000;
  fs.utimesSync(file, t, t);
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atalaya-'));
});

afterEach(() => {
  watch?.stop();
  watch = undefined;
  vi.useRealTimers();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('ClockWatch without timesyncd', () => {
  it('trusts a clock past 2024 and not one in 1970', () => {
    const clock = new StepClock(Y2025);
    makeWatch(clock).start();
    expect(watch?.synced()).toBe(true);
    expect(watch?.flags()).toBe(0);
    watch?.stop();
    makeWatch(new StepClock(Y1970)).start();
    expect(watch?.synced()).toBe(false);
    expect(watch?.flags()).toBe(RECORD_FLAGS.clockUnsynced);
  });

  it('a jump over the threshold marks readings at once, until settleMs without another jump', () => {
    const clock = new StepClock(Y2025);
    makeWatch(clock).start();
    clock.tick(1000);
    clock.step(1900);
    expect(watch?.synced()).toBe(true);
    clock.tick(1000);
    clock.step(-2500);
    expect(watch?.flags()).toBe(RECORD_FLAGS.clockUnsynced);
    clock.tick(59_000);
    watch?.check();
    expect(watch?.synced()).toBe(false);
    clock.tick(1000);
    watch?.check();
    expect(watch?.synced()).toBe(true);
  });

  it('is not trusted before start()', () => {
    expect(makeWatch(new StepClock(Y2025)).synced()).toBe(false);
  });
});

describe('ClockWatch with timesyncd (its flag directory exists)', () => {
  beforeEach(() => fs.mkdirSync(path.join(dir, 'timesync')));

  it('waits for the flag file even when the year looks right', () => {
    const clock = new StepClock(Y2025);
    makeWatch(clock).start();
    expect(watch?.synced()).toBe(false);
    touch(clock);
    watch?.check();
    expect(watch?.synced()).toBe(true);
  });

  it('the boot-time step from 1970 followed by the touch is the synchronization itself', () => {
    const clock = new StepClock(Y1970);
    makeWatch(clock).start();
    expect(watch?.synced()).toBe(false);
    clock.tick(3000);
    clock.step(Y2025 - clock.now());
    touch(clock);
    clock.tick(10);
    expect(watch?.synced()).toBe(false);
    watch?.check();
    expect(watch?.synced()).toBe(true);
  });

  it('a jump timesyncd did not make stays untrusted until its next touch', () => {
    const clock = new StepClock(Y2025);
    touch(clock);
    makeWatch(clock).start();
    expect(watch?.synced()).toBe(true);
    clock.tick(5000);
    clock.step(3_600_000);
    watch?.check();
    expect(watch?.synced()).toBe(false);
    clock.tick(300_000);
    watch?.check();
    expect(watch?.synced()).toBe(false);
    touch(clock);
    watch?.check();
    expect(watch?.synced()).toBe(true);
  });

  it('an earlier touch does not confirm a backward jump (its mtime is in the new future)', () => {
    const clock = new StepClock(Y2025);
    touch(clock);
    makeWatch(clock).start();
    clock.tick(1000);
    clock.step(-3_600_000);
    watch?.check();
    expect(watch?.synced()).toBe(false);
  });

  it('checks every checkIntervalMs once started, and stop() clears its timer', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = new StepClock(Y2025);
    makeWatch(clock).start();
    expect(watch?.synced()).toBe(false);
    touch(clock);
    await vi.advanceTimersByTimeAsync(5000);
    expect(watch?.synced()).toBe(true);
    watch?.stop();
    watch?.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
