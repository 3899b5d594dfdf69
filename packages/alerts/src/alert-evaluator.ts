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
}

export interface AlertEvaluator {
  /** Counts what one envelope holds; a regression may fire at once. */
  observe(observations: Observation[]): AlertTransition[];
  /** Evaluates every minute that ended at least `graceMs` before `now` and was not evaluated yet. */
  tick(now: number): AlertTransition[];
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
  let nextMinute: number | undefined;

  return {
    observe(observations) {
      const transitions: AlertTransition[] = [];
      for (const observation of observations) {
        // The first minute to evaluate is the first one seen; older data only feeds baselines.
        nextMinute ??= minuteOf(observation.at);
        if (observation.kind === 'error') {
          spike?.record(observation);
          if (regression) transitions.push(...regression.record(observation));
        } else degradation?.record(observation);
      }
      return transitions;
    },
    tick(now) {
      const transitions: AlertTransition[] = [];
      const last = minuteOf(now - graceMs) - 1;
      nextMinute ??= last + 1;
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
