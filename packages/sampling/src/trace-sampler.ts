import { PRESAMPLE_SYMBOL, PRESAMPLED_RATE_ATTRIBUTE } from '@faultline/contract';
import type { TracesSamplerSamplingContext } from '@sentry/core';
import type { Backpressure } from './backpressure.js';
import { type Clock, systemClock } from './clock.js';
import { compileHealthChecks, DEFAULT_HEALTH_CHECK_GLOBS, HEALTH_CHECK_FACTOR } from './health-checks.js';
import { createRuleIndex } from './rule-index.js';
import { createTargetController, type TargetOptions } from './target-controller.js';
import { parseTraceRules, type SpanFacts, type TraceRule } from './trace-rules.js';

export interface TraceSamplerOptions {
  /** Rate for new traces no rule matches. Env: `SENTRY_TRACES_SAMPLE_RATE`. @default 1 */
  rate?: number;
  /** Rules, as `FAULTLINE_TRACES_RULES` text or parsed; first match wins. @default none */
  rules?: string | TraceRule[];
  /**
   * Health checks (matched on route or name): their rate is `rate` if given (0 allowed), else
   * the rate they would have had divided by 3, as Sentry does; `false` treats them like any
   * other trace. A rule that names them explicitly wins. Env: `FAULTLINE_TRACES_HEALTH_CHECK_RATE`.
   * @default { globs: DEFAULT_HEALTH_CHECK_GLOBS }
   */
  healthChecks?: { globs?: readonly string[]; rate?: number } | false;
  /** Target throughput: per-class rates rebalanced to reach this many root spans per minute. @default off */
  target?: TargetOptions;
  /** Backpressure to apply to new traces' rates, from `createBackpressure()`. @default none */
  backpressure?: Backpressure;
  /** @default Date.now */
  clock?: Clock;
}

export interface TraceSamplerStats {
  decisions: number;
  inherited: number;
  /** Decisions where the sampler failed and fell back to the parent or the default rate. */
  errors: number;
  backpressureFactor: number;
  classRates: Map<string, number>;
}

/** A trace sampler; it honours pre-made decisions (see PRESAMPLE_SYMBOL in the contract). */
export type TraceSampler = ((context: TracesSamplerSamplingContext) => number) & {
  stats(): TraceSamplerStats;
  readonly [PRESAMPLE_SYMBOL]: true;
};

/**
 * A `tracesSampler` for `Sentry.init`. At the head of a trace it picks a rate from the first
 * matching rule (or the default), deprioritizes health checks, rebalances through the target
 * controller when one is set, and applies backpressure. A continued trace keeps its parent's
 * decision (`inheritOrSampleWith`), so traces stay complete across services, unless a rule
 * marked `!` forces its own rate; the shared `sample_rand` then keeps the downstream sample a
 * subset of the upstream one. Rules match attributes known at span start, not the final name.
 * Never throws; a decision for a span it has seen the like of allocates nothing.
 */
export function createTraceSampler(options: TraceSamplerOptions = {}): TraceSampler {
  const clock = options.clock ?? systemClock;
  const defaultRate = options.rate ?? 1;
  const rules = typeof options.rules === 'string' ? parseTraceRules(options.rules) : (options.rules ?? []);
  const firstMatch = createRuleIndex(rules);
  const ruleKeys = rules.map((rule, i) => `rule:${i}:${rule.text}`);
  const health = options.healthChecks === false ? undefined : options.healthChecks;
  const isHealthCheck =
    options.healthChecks === false
      ? undefined
      : cached(compileHealthChecks(health?.globs ?? DEFAULT_HEALTH_CHECK_GLOBS));
  const target = options.target ? createTargetController(options.target, clock) : undefined;
  const backpressure = options.backpressure;
  const facts: SpanFacts = { route: undefined, op: undefined, topic: undefined, method: undefined, name: '' };
  const stats = { decisions: 0, inherited: 0, errors: 0 };

  function headRate(
    context: TracesSamplerSamplingContext,
    isHead: boolean,
  ): { rate: number; force: boolean } {
    const attributes = context.attributes ?? {};
    facts.route = text(attributes['http.route']) ?? text(attributes['url.path']);
    facts.op = text(attributes['sentry.op']);
    facts.topic = text(attributes['messaging.destination.name']);
    facts.method = text(attributes['http.request.method']);
    facts.name = context.name ?? '';

    const index = firstMatch(facts);
    const rule = index >= 0 ? rules[index] : undefined;
    let rate = rule ? rule.rate : defaultRate;
    // A rule written for the health check itself (route:/healthz=...) is the user's word on it.
    const explicit = rule !== undefined && rule.kind !== 'any';
    if (!explicit && isHealthCheck?.(facts.route ?? facts.name)) {
      rate = health?.rate ?? rate / HEALTH_CHECK_FACTOR;
    } else if (target && isHead && rate > 0) {
      const key = index >= 0 ? (ruleKeys[index] ?? '') : (facts.route ?? facts.name);
      rate = target.observe(key) ?? rate;
    }
    if (backpressure) rate *= backpressure.factor();
    return { rate, force: rule?.force ?? false };
  }

  const sampler = ((context: TracesSamplerSamplingContext) => {
    try {
      const presampled = context.attributes?.[PRESAMPLED_RATE_ATTRIBUTE];
      if (typeof presampled === 'number') return presampled;
    } catch {
      // Decided below, where a broken context is counted.
    }
    stats.decisions++;
    try {
      const isHead = context.parentSampled === undefined && context.parentSampleRate === undefined;
      const { rate, force } = headRate(context, isHead);
      if (force || isHead) return rate;
      stats.inherited++;
      return context.inheritOrSampleWith(rate);
    } catch {
      stats.errors++;
      return typeof context?.inheritOrSampleWith === 'function'
        ? context.inheritOrSampleWith(defaultRate)
        : defaultRate;
    }
  }) as TraceSampler;
  Object.defineProperty(sampler, PRESAMPLE_SYMBOL, { value: true });
  sampler.stats = () => ({
    ...stats,
    backpressureFactor: backpressure?.factor() ?? 1,
    classRates: target?.rates() ?? new Map(),
  });
  return sampler;
}

/** Remembers a string test's answers (up to 2000 values, then starts over). */
function cached(test: (text: string) => boolean): (text: string) => boolean {
  const memory = new Map<string, boolean>();
  return (value) => {
    let answer = memory.get(value);
    if (answer === undefined) {
      answer = test(value);
      if (memory.size >= 2000) memory.clear();
      memory.set(value, answer);
    }
    return answer;
  };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
