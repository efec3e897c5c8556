/** Time source, injected everywhere so tests can drive it. */
export interface Clock {
  /** Wall-clock time, ms since the Unix epoch. May jump (NTP, no RTC on a Pi). */
  now(): number;
  /** Monotonic time in ms; never goes backwards within a boot (CLOCK_MONOTONIC on Linux). */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => Number(process.hrtime.bigint() / 1_000_000n),
};
