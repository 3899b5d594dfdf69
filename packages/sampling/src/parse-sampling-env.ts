import type { SeverityLevel } from '@sentry/core';
import { parsePeakHours } from './peak-hours.js';
import { parseTraceRules, type TraceRule } from './trace-rules.js';

/** One invalid variable: its name, its value as given, and the expected form. */
export interface SamplingEnvProblem {
  source: string;
  value: string;
  expected: string;
}

/** The sampling settings found in the environment; absent keys were not set. */
export interface SamplingEnv {
  rules?: TraceRule[];
  targetPerMinute?: number;
  healthCheckRate?: number;
  errorsPerMinute?: number;
  errorsPerFingerprint?: number;
  errorsSampleRate?: number;
  dropLevelsUnderLoad?: SeverityLevel[];
  peakHours?: string;
  backpressure?: boolean;
  /** `FAULTLINE_ERRORS_SAMPLING=off`: no error policy, every error is sent. */
  errorsSampling?: boolean;
  problems: SamplingEnvProblem[];
}

const LEVELS: readonly SeverityLevel[] = ['fatal', 'error', 'warning', 'log', 'info', 'debug'];

/**
 * Reads the `FAULTLINE_*` sampling variables, validating each; bad values are returned as
 * problems (never thrown), so the caller can report them with its other settings at once.
 * Empty variables count as unset.
 */
export function parseSamplingEnv(env: Record<string, string | undefined>): SamplingEnv {
  const result: SamplingEnv = { problems: [] };
  const read = (name: string) => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const problem = (source: string, value: string, expected: string) => {
    result.problems.push({ source, value: JSON.stringify(value), expected });
  };
  const number = (name: string, min: number, max: number, integer: boolean, expected: string) => {
    const raw = read(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value)))
      return value;
    problem(name, raw, expected);
    return undefined;
  };

  const rules = read('FAULTLINE_TRACES_RULES');
  if (rules !== undefined) {
    try {
      result.rules = parseTraceRules(rules);
    } catch (error) {
      problem(
        'FAULTLINE_TRACES_RULES',
        rules,
        `rules like "route:/checkout*=0.5; topic:orders=0.2; *=0.1" (${(error as Error).message})`,
      );
    }
  }
  const set = <K extends keyof SamplingEnv>(key: K, value: SamplingEnv[K] | undefined) => {
    if (value !== undefined) result[key] = value;
  };
  set(
    'targetPerMinute',
    number(
      'FAULTLINE_TRACES_TARGET_PER_MINUTE',
      1,
      1e9,
      false,
      'a number of root spans per minute, at least 1',
    ),
  );
  set('healthCheckRate', number('FAULTLINE_TRACES_HEALTH_CHECK_RATE', 0, 1, false, 'a number from 0 to 1'));
  set(
    'errorsPerMinute',
    number('FAULTLINE_ERRORS_PER_MINUTE', 1, 1e9, false, 'a number of errors per minute, at least 1'),
  );
  set(
    'errorsPerFingerprint',
    number('FAULTLINE_ERRORS_PER_FINGERPRINT', 0, 1e6, true, 'a whole number of errors, 0 or more'),
  );
  set('errorsSampleRate', number('FAULTLINE_ERRORS_SAMPLE_RATE', 0, 1, false, 'a number from 0 to 1'));

  const levels = read('FAULTLINE_DROP_LEVELS_UNDER_LOAD');
  if (levels !== undefined) {
    const list = levels
      .split(',')
      .map((level) => level.trim().toLowerCase())
      .filter(Boolean);
    if (list.every((level) => (LEVELS as readonly string[]).includes(level) && level !== 'fatal')) {
      result.dropLevelsUnderLoad = list as SeverityLevel[];
    } else {
      problem(
        'FAULTLINE_DROP_LEVELS_UNDER_LOAD',
        levels,
        'levels separated by commas from: error, warning, log, info, debug',
      );
    }
  }

  const peak = read('FAULTLINE_PEAK_HOURS');
  if (peak !== undefined) {
    try {
      parsePeakHours(peak);
      result.peakHours = peak;
    } catch (error) {
      problem(
        'FAULTLINE_PEAK_HOURS',
        peak,
        `ranges and an optional time zone, like "09:00-12:00,14:00-18:00 Europe/Berlin" (${(error as Error).message})`,
      );
    }
  }

  const boolean = (name: string): boolean | undefined => {
    const raw = read(name);
    if (raw === undefined) return undefined;
    const lower = raw.toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
    if (['0', 'false', 'no', 'off'].includes(lower)) return false;
    problem(name, raw, 'true or false (also 1/0, yes/no, on/off)');
    return undefined;
  };
  const backpressure = boolean('FAULTLINE_BACKPRESSURE');
  if (backpressure !== undefined) result.backpressure = backpressure;
  const errorsSampling = boolean('FAULTLINE_ERRORS_SAMPLING');
  if (errorsSampling !== undefined) result.errorsSampling = errorsSampling;
  return result;
}
