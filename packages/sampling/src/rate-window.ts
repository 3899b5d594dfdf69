/** Every method takes the current time, so a caller that already read the clock pays once. */
export interface RateWindow {
  add(now: number, count?: number): void;
  /** Events in the window, as a rate per minute. */
  perMinute(now: number): number;
  /** Events in the window. */
  total(now: number): number;
}

/**
 * Counts events over a sliding window of `windowMs`, kept as `buckets` ring slots so memory is
 * fixed and adding allocates nothing. Resolution is `windowMs / buckets`.
 */
export function createRateWindow(windowMs: number, buckets: number, start: number): RateWindow {
  const slotMs = windowMs / buckets;
  const counts = new Float64Array(buckets);
  let currentSlot = Math.floor(start / slotMs);
  let sum = 0;

  function advance(now: number): void {
    const slot = Math.floor(now / slotMs);
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
    add(now, count = 1) {
      advance(now);
      const index = currentSlot % buckets;
      counts[index] = (counts[index] ?? 0) + count;
      sum += count;
    },
    total(now) {
      advance(now);
      return sum;
    },
    perMinute(now) {
      advance(now);
      return (sum * 60_000) / windowMs;
    },
  };
}
