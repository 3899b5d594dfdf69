import { type AlertTransition, MINUTE_MS, minuteOf } from './alert-transition.js';
import { createDegradationRule, type DegradationOptions } from './degradation-rule.js';
import type { Observation } from './observations.js';
import { createRegressionRule, type RegressionOptions } from './regression-rule.js';
import { createSpikeRule, type SpikeOptions } from './spike-rule.js';

export interface AlertRulesOptions {
  /** `false` turns a rule off. @default each on, with the seed's values */
  spike?: SpikeOptions | false;
  regression?: RegressionOptions | false;
  degradation?: DegradationOptions | false;
  /** A minute is evaluated this long after it ends, so late envelopes still count. @default 15 000 ms */
  graceMs?: number;
  /**
   * Events older than this (by their own timestamp, against the clock) are counted as `late` and
   * left out: their minutes were evaluated long ago. The service sets it to its lookback window.
   * @default 65 minutes
   */
  maxAgeMs?: number;
  /** Events further ahead of the clock than this are counted as `future` and left out. @default 5 minutes */
  maxFutureMs?: number;
}

/** Observations the evaluator left out, by why. */
export interface EvaluatorStats {
  late: number;
  future: number;
}

export interface AlertEvaluator {
  /**
   * Counts what one envelope holds; a regression may fire at once. Times are checked against
   * `now` (the service's clock), else against the last tick: an event outside
   * [now − maxAgeMs, now + maxFutureMs] is counted and left out, so no timestamp anyone writes
   * moves the evaluated minutes or makes a rule walk years of minutes.
   */
  observe(observations: Observation[], now?: number): AlertTransition[];
  /** Evaluates every minute that ended at least `graceMs` before `now` and was not evaluated yet. */
  tick(now: number): AlertTransition[];
  readonly stats: EvaluatorStats;
}

/**
 * The three rules over one stream of observations, with minutes closed by the clock: what the
 * service runs, and what a test drives with a fake clock. Transitions are what the rules see;
 * the episode book decides which are sent.
 */
export function createAlertEvaluator(options: AlertRulesOptions = {}): AlertEvaluator {
  const spike = options.spike === false ? undefined : createSpikeRule(options.spike);
  const regression = options.regression === false ? undefined : createRegressionRule(options.regression);
  const degradation = options.degradation === false ? undefined : createDegradationRule(options.degradation);
  const graceMs = options.graceMs ?? 15_000;
  const maxAgeMs = options.maxAgeMs ?? 65 * MINUTE_MS;
  const maxFutureMs = options.maxFutureMs ?? 5 * MINUTE_MS;
  const stats: EvaluatorStats = { late: 0, future: 0 };
  let nextMinute: number | undefined;
  // Before the first tick: the earliest minute seen, where evaluation starts.
  let firstSeen: number | undefined;
  let lastTick: number | undefined;

  return {
    stats,
    observe(observations, now = lastTick) {
      const transitions: AlertTransition[] = [];
      for (const observation of observations) {
        if (now !== undefined) {
          if (observation.at < now - maxAgeMs) {
            stats.late++;
            continue;
          }
          if (observation.at > now + maxFutureMs) {
            stats.future++;
            continue;
          }
        }
        // The first minute to evaluate is the earliest one seen before the first tick; older
        // data only feeds baselines.
        if (nextMinute === undefined)
          firstSeen = Math.min(firstSeen ?? Number.POSITIVE_INFINITY, minuteOf(observation.at));
        if (observation.kind === 'error') {
          spike?.record(observation);
          if (regression) transitions.push(...regression.record(observation));
        } else degradation?.record(observation);
      }
      return transitions;
    },
    tick(now) {
      const transitions: AlertTransition[] = [];
      lastTick = now;
      const last = minuteOf(now - graceMs) - 1;
      nextMinute ??= Math.min(firstSeen ?? last + 1, last + 1);
      // After a long pause (a restart without rebuild) evaluate the recent minutes only.
      nextMinute = Math.max(nextMinute, last - 60);
      for (; nextMinute <= last; nextMinute++) {
        if (spike) transitions.push(...spike.close(nextMinute));
        if (degradation) transitions.push(...degradation.close(nextMinute));
      }
      return transitions;
    },
  };
}

export { MINUTE_MS };
