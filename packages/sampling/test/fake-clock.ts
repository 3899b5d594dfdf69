import type { Clock } from '../src/index.js';

/** A clock the test moves by hand. */
export function fakeClock(
  start = Date.UTC(2026, 10, 25, 12, 0, 0),
): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
    set(ms) {
      now = ms;
    },
  };
}
