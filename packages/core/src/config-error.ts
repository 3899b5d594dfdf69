/** One invalid setting: where it came from, what it was, and what was expected. */
export interface ConfigProblem {
  /** The environment variable (`SENTRY_DSN`) or option (`options.dsn`) that holds the value. */
  source: string;
  /** The value as it may be shown: DSNs are already redacted to host and project. */
  value: string;
  /** The expected form, e.g. `a number from 0 to 1`. */
  expected: string;
}

/**
 * Thrown by `resolveConfig()` and `initObservability()` at start-up when settings are invalid.
 * It lists every problem at once, so one deploy fixes them all.
 */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const lines = problems.map((p) => `  - ${p.source}=${p.value}: expected ${p.expected}`);
    super(`Faultline configuration is invalid (${count}):\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
