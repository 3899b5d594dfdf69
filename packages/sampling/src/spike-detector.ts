import type { Clock } from './clock.js';
import { createRateWindow } from './rate-window.js';

export interface SpikeOptions {
  /** A spike is a short-window rate more than `factor` times the baseline. Default: 3. */
  factor?: number;
  /** The short window. Default: 60 000 ms. */
  shortWindowMs?: number;
  /** The rolling baseline's window, the short window included. Default: 300 000 ms (5 minutes). */
  baselineWindowMs?: number;
  /** Rates below this many per minute are never a spike (0 to 5 errors is not one). Default: 30. */
  minPerMinute?: number;
}

export interface SpikeDetector {
  /** Counts one event at `now` and says whether the process is in a spike. */
  record(now: number): boolean;
  readonly spiking: boolean;
  /** Short-window rate per minute, and the baseline it is compared with. */
  rates(now: number): { short: number; baseline: number };
}

/**
 * Compares the error rate over a short window with its rolling baseline. Enters the spike state
 * above `factor` times the baseline and leaves it once the rate is back under 80% of that
 * threshold (hysteresis, so it does not flap); `onChange` is called on each transition only.
 * It gives no verdict in its first two short windows, while there is no baseline yet.
 */
export function createSpikeDetector(
  options: SpikeOptions,
  clock: Clock,
  onChange: (spiking: boolean, rates: { short: number; baseline: number }) => void,
): SpikeDetector {
  const factor = options.factor ?? 3;
  const shortMs = options.shortWindowMs ?? 60_000;
  const baselineMs = options.baselineWindowMs ?? 300_000;
  const minPerMinute = options.minPerMinute ?? 30;
  const started = clock.now();
  const short = createRateWindow(shortMs, 12, started);
  const baseline = createRateWindow(baselineMs, 30, started);
  let spiking = false;

  // The baseline excludes the short window, so a spike does not raise its own yardstick at once.
  // Until the window has filled, the baseline is measured over the history there is.
  const baselineRate = (now: number) => {
    const before = baseline.total(now) - short.total(now);
    const span = Math.min(now - started, baselineMs) - shortMs;
    return before <= 0 || span <= 0 ? 0 : (before * 60_000) / span;
  };
  const rates = (now: number) => ({ short: short.perMinute(now), baseline: baselineRate(now) });

  return {
    get spiking() {
      return spiking;
    },
    rates,
    record(now) {
      short.add(now);
      baseline.add(now);
      // No verdict without a baseline: a process's first burst is not a spike against nothing.
      if (now - started < 2 * shortMs) return false;
      const shortRate = short.perMinute(now);
      const threshold = Math.max(baselineRate(now), minPerMinute / factor) * factor;
      const next = spiking ? shortRate >= threshold * 0.8 : shortRate > threshold;
      if (next !== spiking) {
        spiking = next;
        onChange(spiking, rates(now));
      }
      return spiking;
    },
  };
}
