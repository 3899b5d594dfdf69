import type { Clock } from './clock.js';

export interface RateWindow {
  add(count?: number): void;
  /** Events in the window, as a rate per minute. */
  perMinute(): number;
  /** Events in the window. */
  total(): number;
}

/**
 * Counts events over a sliding window of `windowMs`, kept as `buckets` ring slots so memory is
 * fixed and adding allocates nothing. Resolution is `windowMs / buckets`.
 */
export function createRateWindow(windowMs: number, buckets: number, clock: Clock): RateWindow {
  const slotMs = windowMs / buckets;
  const counts = new Float64Array(buckets);
  let currentSlot = Math.floor(clock.now() / slotMs);
  let sum = 0;

  function advance(): void {
    const slot = Math.floor(clock.now() / slotMs);
    if (slot <= currentSlot) return;
    const steps = Math.min(slot - currentSlot, buckets);
    for (let i = 1; i <= steps; i++) {
      const index = (currentSlot + i) % buckets;
      sum -= counts[index] ?? 0;
      counts[index] = 0;
    }
    currentSlot = slot;
  }

  return {
    add(count = 1) {
      advance();
      const index = currentSlot % buckets;
      counts[index] = (counts[index] ?? 0) + count;
      sum += count;
    },
    total() {
      advance();
      return sum;
    },
    perMinute() {
      advance();
      return (sum * 60_000) / windowMs;
    },
  };
}
