import type { ConfigProblem } from '@faultline/contract';
import {
  type ErrorPolicyOptions,
  parsePeakHours,
  parseSamplingEnv,
  parseTraceRules,
  type TraceRule,
} from '@faultline/sampling';
import type { SamplingOptions } from './options.js';

/** Sampling as Faultline runs it, after options and environment. */
export interface ResolvedSampling {
  /** Error policy options, or false when errors are not sampled. */
  errors: false | Omit<ErrorPolicyOptions, 'clock' | 'random' | 'logger' | 'addBreadcrumb'>;
  /** The trace sampler's settings; `enabled` is false when tracing is off. */
  traces: {
    enabled: boolean;
    /** Rate for new traces no rule matches. */
    rate: number;
    rules: TraceRule[];
    targetPerMinute: number | undefined;
    healthCheckRate: number | undefined;
  };
  backpressure: boolean;
}

/**
 * Merges the sampling options with the `FAULTLINE_*` sampling variables (options win), and
 * validates both, adding what is wrong to `problems`.
 */
export function resolveSampling(
  options: SamplingOptions | undefined,
  env: Record<string, string | undefined>,
  tracesSampleRate: number | undefined,
  problems: ConfigProblem[],
): ResolvedSampling {
  const fromEnv = parseSamplingEnv(env);
  problems.push(...fromEnv.problems);
  const opts = options ?? {};
  const check = (name: string, value: number | undefined, min: number, max: number, expected: string) => {
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) return value;
    problems.push({ source: `options.sampling.${name}`, value: String(value), expected });
    return undefined;
  };

  let rules = fromEnv.rules ?? [];
  if (opts.traceRules !== undefined) {
    try {
      rules = typeof opts.traceRules === 'string' ? parseTraceRules(opts.traceRules) : opts.traceRules;
    } catch (error) {
      problems.push({
        source: 'options.sampling.traceRules',
        value: JSON.stringify(opts.traceRules),
        expected: `rules like "route:/checkout*=0.5; *=0.1" (${(error as Error).message})`,
      });
    }
  }
  const targetPerMinute =
    check(
      'tracesTargetPerMinute',
      opts.tracesTargetPerMinute,
      1,
      1e9,
      'a number of root spans per minute, at least 1',
    ) ?? fromEnv.targetPerMinute;
  const healthCheckRate =
    check('healthCheckRate', opts.healthCheckRate, 0, 1, 'a number from 0 to 1') ?? fromEnv.healthCheckRate;

  let errors: ResolvedSampling['errors'] = false;
  // The variable turns the policy off only when no option configures it.
  const offByVariable = opts.errors === undefined && fromEnv.errorsSampling === false;
  if (opts.errors !== false && !offByVariable) {
    const given = opts.errors ?? {};
    errors = {
      ...given,
      keepFirstPerFingerprint:
        check(
          'errors.keepFirstPerFingerprint',
          given.keepFirstPerFingerprint,
          0,
          1e6,
          'a whole number, 0 or more',
        ) ?? fromEnv.errorsPerFingerprint,
      sampleRate:
        check('errors.sampleRate', given.sampleRate, 0, 1, 'a number from 0 to 1') ??
        fromEnv.errorsSampleRate,
      budgetPerMinute:
        check(
          'errors.budgetPerMinute',
          given.budgetPerMinute,
          1,
          1e9,
          'a number of errors per minute, at least 1',
        ) ?? fromEnv.errorsPerMinute,
      dropLevelsUnderLoad: given.dropLevelsUnderLoad ?? fromEnv.dropLevelsUnderLoad,
      peakHours: given.peakHours ?? fromEnv.peakHours,
    };
    if (typeof given.peakHours === 'string') {
      try {
        parsePeakHours(given.peakHours);
      } catch (error) {
        problems.push({
          source: 'options.sampling.errors.peakHours',
          value: JSON.stringify(given.peakHours),
          expected: `ranges and an optional time zone, like "09:00-17:00 Europe/Berlin" (${(error as Error).message})`,
        });
      }
    }
  }

  const enabled = tracesSampleRate !== undefined || rules.length > 0 || targetPerMinute !== undefined;
  return {
    errors,
    traces: {
      enabled,
      rate: tracesSampleRate ?? (targetPerMinute !== undefined ? 1 : 0),
      rules,
      targetPerMinute,
      healthCheckRate,
    },
    backpressure: opts.backpressure ?? fromEnv.backpressure ?? true,
  };
}
