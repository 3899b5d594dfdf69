import {
  type ConfigProblem,
  createSettingsReader,
  type Parsed,
  parseBoolean,
  parseList,
} from '@faultline/contract';
import type { SeverityLevel } from '@sentry/core';
import { parsePeakHours } from './peak-hours.js';
import { parseTraceRules, type TraceRule } from './trace-rules.js';

/** One invalid variable: the contract's ConfigProblem, under the name this package had for it. */
export type SamplingEnvProblem = ConfigProblem;

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
  const settings = createSettingsReader({ env });
  const result: SamplingEnv = { problems: settings.problems };
  const number = (name: string, min: number, max: number, integer: boolean, expected: string) =>
    settings.parse([name], (text): Parsed<number> => {
      const value = Number(text);
      const ok =
        Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
      return ok ? { ok: true, value } : { ok: false, expected };
    });
  // A parser that throws on bad input, as the rule and peak-hour grammars do, as a Parsed.
  const grammar =
    <T>(parse: (text: string) => T, expected: string) =>
    (text: string): Parsed<T> => {
      try {
        return { ok: true, value: parse(text) };
      } catch (error) {
        return { ok: false, expected: `${expected} (${(error as Error).message})` };
      }
    };
  const set = <K extends keyof SamplingEnv>(key: K, value: SamplingEnv[K] | undefined) => {
    if (value !== undefined) result[key] = value;
  };

  set(
    'rules',
    settings.parse(
      ['FAULTLINE_TRACES_RULES'],
      grammar(parseTraceRules, 'rules like "route:/checkout*=0.5; topic:orders=0.2; *=0.1"'),
    ),
  );
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
  set(
    'dropLevelsUnderLoad',
    settings.parse(['FAULTLINE_DROP_LEVELS_UNDER_LOAD'], (text): Parsed<SeverityLevel[]> => {
      const list = parseList(text.toLowerCase());
      return list.every((level) => (LEVELS as readonly string[]).includes(level) && level !== 'fatal')
        ? { ok: true, value: list as SeverityLevel[] }
        : { ok: false, expected: 'levels separated by commas from: error, warning, log, info, debug' };
    }),
  );
  set(
    'peakHours',
    settings.parse(
      ['FAULTLINE_PEAK_HOURS'],
      grammar((text) => {
        parsePeakHours(text);
        return text;
      }, 'ranges and an optional time zone, like "09:00-12:00,14:00-18:00 Europe/Berlin"'),
    ),
  );
  // The boolean spellings every Faultline setting accepts (Sentry's own).
  set('backpressure', settings.parse(['FAULTLINE_BACKPRESSURE'], parseBoolean));
  set('errorsSampling', settings.parse(['FAULTLINE_ERRORS_SAMPLING'], parseBoolean));
  return result;
}
