import type { Clock } from './clock.js';
import { rebalance } from './rebalance.js';

export interface TargetOptions {
  /** Sampled root spans per minute for the whole process. Env: `FAULTLINE_TRACES_TARGET_PER_MINUTE`. */
  perMinute: number;
  /** How often rates are recomputed. @default 10 000 ms */
  intervalMs?: number;
  /** The sliding window volume is measured over. @default 60 000 ms */
  windowMs?: number;
  /** Rebalancing intensity, 0 (flat) to 1 (equal counts). @default 0.8, as Sentry's server uses */
  intensity?: number;
  /** No class gets a lower rate. @default 0.001 */
  minRate?: number;
  /** Classes tracked; more share one `other` class, so memory stays bounded. @default 500 */
  maxClasses?: number;
}

export interface TargetController {
  /**
   * Counts one root span of `key`'s class and returns the class's current rate, or undefined
   * before the first recomputation (the caller's own rate applies then).
   */
  observe(key: string): number | undefined;
  /** The current rate per class, for stats and tests. */
  rates(): Map<string, number>;
}

interface ClassState {
  slots: Float64Array;
  rate: number;
}

const OTHER = '\u0000other';

/**
 * Counts root spans per class in a sliding window and, every interval, recomputes per-class
 * rates so the total sampled per minute converges to the target, with rare classes boosted and
 * hot ones thinned (`rebalance`). Work per observation is a map lookup and an add.
 */
export function createTargetController(options: TargetOptions, clock: Clock): TargetController {
  const intervalMs = options.intervalMs ?? 10_000;
  const slotCount = Math.max(2, Math.round((options.windowMs ?? 60_000) / intervalMs) + 1);
  const intensity = options.intensity ?? 0.8;
  const minRate = options.minRate ?? 0.001;
  const maxClasses = options.maxClasses ?? 500;
  const classes = new Map<string, ClassState>();
  const started = clock.now();
  let slot = Math.floor(started / intervalMs);
  let computed = false;
  let flatRate = 1;

  function recompute(now: number): void {
    const keys: string[] = [];
    const counts: number[] = [];
    for (const [key, state] of classes) {
      let sum = 0;
      for (const value of state.slots) sum += value;
      if (sum === 0) {
        // Not seen for a whole window: forget it, so the table cannot grow without bound.
        classes.delete(key);
        continue;
      }
      keys.push(key);
      counts.push(sum);
    }
    const total = counts.reduce((a, b) => a + b, 0);
    // The slots hold the last (slotCount - 1) whole intervals (the current one was just
    // cleared), or less time while the process is young.
    const covered = Math.min((slotCount - 1) * intervalMs, now - started);
    const minutes = Math.max(intervalMs, covered) / 60_000;
    flatRate = total === 0 ? 1 : Math.min(1, (options.perMinute * minutes) / total);
    const rates = rebalance(counts, flatRate, intensity, minRate);
    keys.forEach((key, i) => {
      const state = classes.get(key);
      if (state) state.rate = rates[i] ?? flatRate;
    });
    computed = true;
  }

  function advance(now: number): void {
    const current = Math.floor(now / intervalMs);
    if (current === slot) return;
    const steps = Math.min(current - slot, slotCount);
    for (const state of classes.values()) {
      for (let i = 1; i <= steps; i++) state.slots[(slot + i) % slotCount] = 0;
    }
    slot = current;
    recompute(now);
  }

  return {
    observe(key) {
      advance(clock.now());
      let state = classes.get(key);
      if (!state) {
        const full = classes.size >= maxClasses;
        const target = full ? OTHER : key;
        state = classes.get(target);
        if (!state) {
          state = { slots: new Float64Array(slotCount), rate: flatRate };
          classes.set(target, state);
        }
      }
      const index = slot % slotCount;
      state.slots[index] = (state.slots[index] ?? 0) + 1;
      return computed ? state.rate : undefined;
    },
    rates() {
      advance(clock.now());
      return new Map([...classes].map(([key, state]) => [key, state.rate]));
    },
  };
}
