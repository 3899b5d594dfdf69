import { FaultlineError } from '../faultline-error.js';

/** One invalid setting: where it came from, what it was, and what was expected. */
export interface ConfigProblem {
  /**
   * Where the value came from: a variable (`SENTRY_DSN`), a flag (`--brokers`) or an option
   * (`options.dsn`).
   */
  source: string;
  /** The value as it may be shown: secrets masked, DSNs redacted to host and project. */
  value: string;
  /** The expected form, e.g. `a number from 0 to 1`. */
  expected: string;
}

/**
 * Thrown at start-up when settings are invalid (code `FAULTLINE_CONFIG`). It lists every
 * problem at once, so one deploy fixes them all.
 */
export class ConfigError extends FaultlineError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], what = 'Faultline configuration') {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const lines = problems.map((p) => `  - ${p.source}=${p.value}: expected ${p.expected}`);
    super('FAULTLINE_CONFIG', `${what} is invalid (${count}):\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
