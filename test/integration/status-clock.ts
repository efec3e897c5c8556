import { type Clock, systemClock } from '../../protocols/clock.ts';

/** A clock whose monotonic time the test moves forward, to play a 3-minute scenario in a second. */
export function jumpClock(): Clock & { jumpTo(seconds: number): void } {
  const origin = systemClock.monotonic();
  let offset = 0;
  return {
    now: systemClock.now,
    monotonic: () => systemClock.monotonic() + offset,
    jumpTo(seconds) {
      offset = origin + seconds * 1000 - systemClock.monotonic();
    },
  };
}
