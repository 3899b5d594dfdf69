/**
 * Sentry's server-side rebalancing model (`FullRebalancingModel`), client side: given each
 * class's volume and an overall sample rate, returns per-class rates that keep the same total
 * but shift it from hot classes to rare ones. `intensity` 0 leaves every class at the flat
 * rate; 1 gives every class the same kept count (as far as its volume allows). No class goes
 * below `minRate`. Classes are processed smallest first, so budget a rare class cannot use
 * passes to the larger ones, and the largest takes the remainder: the kept total equals
 * `sampleRate` times the total volume unless `minRate` forces more.
 *
 * `counts` and the returned rates are parallel arrays.
 */
export function rebalance(
  counts: readonly number[],
  sampleRate: number,
  intensity: number,
  minRate: number,
): number[] {
  const rates = new Array<number>(counts.length).fill(sampleRate);
  const order = counts.map((_, i) => i).sort((a, b) => (counts[a] ?? 0) - (counts[b] ?? 0));
  const total = counts.reduce((sum, c) => sum + c, 0);
  let budget = total * sampleRate;
  let remaining = counts.length;
  for (const i of order) {
    const count = counts[i] ?? 0;
    if (count <= 0) {
      remaining--;
      continue;
    }
    const ideal = budget / remaining;
    const flat = count * sampleRate;
    // The largest class takes what is left, so the total stays on budget at any intensity
    // (interpolating it too would overshoot whenever intensity < 1).
    const wanted = remaining === 1 ? budget : flat + (ideal - flat) * intensity;
    const desired = Math.max(wanted, count * minRate);
    const rate = desired >= count ? 1 : desired / count;
    rates[i] = rate;
    budget -= count * rate;
    remaining--;
  }
  return rates;
}
