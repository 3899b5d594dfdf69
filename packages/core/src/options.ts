import type { NodeOptions } from '@sentry/node';

/** Where envelopes go: straight to Sentry over HTTP, or through a Kafka topic. */
export type TransportKind = 'http' | 'kafka';

/**
 * Options for `initObservability()`. Each has an environment variable; where both are set the
 * option wins, except `release` and `environment`, where the deploy's variable wins (see each).
 * Values are validated once, at start-up; `docs/configuration.md` lists every variable.
 */
export interface FaultlineOptions {
  /**
   * Sentry DSN. Without one Faultline stays off and every call is a no-op.
   * Env: `SENTRY_DSN`, or `SENTRY_DSN_FILE` (a path to a file holding it, for mounted secrets).
   * @default undefined (off)
   */
  dsn?: string;

  /**
   * Service name, tagged on every event as `service`.
   * Env: `FAULTLINE_SERVICE`.
   * @default the app's package.json `name`, else `unknown_service:node`
   */
  service?: string;

  /**
   * Release. `SENTRY_RELEASE` wins over this option, because the deploy knows which build runs.
   * @default `<service>@<version>`, the version from the app's package.json, plus `+<commit>` when a CI
   * variable (GITHUB_SHA, CI_COMMIT_SHA, ...) names one
   */
  release?: string;

  /**
   * Environment. `SENTRY_ENVIRONMENT` wins over this option, for the same reason as `release`.
   * @default `NODE_ENV`, else `production`
   */
  environment?: string;

  /**
   * Transport. Env: `FAULTLINE_TRANSPORT`.
   * @default `kafka` when Kafka brokers are configured, else `http`
   */
  transport?: TransportKind;

  /**
   * Kafka bootstrap brokers, for the `kafka` transport. Env: `FAULTLINE_KAFKA_BROKERS` (comma-separated).
   * @default none
   */
  kafkaBrokers?: string[];

  /**
   * Share of traces to sample, 0 to 1. Env: `SENTRY_TRACES_SAMPLE_RATE`.
   * @default undefined (tracing off unless `sentry.tracesSampler` is given)
   */
  tracesSampleRate?: number;

  /**
   * Verbose SDK and Faultline logging. Env: `SENTRY_DEBUG`.
   * @default false
   */
  debug?: boolean;

  /**
   * Upper bound on flushing at shutdown (SIGTERM, SIGINT, `close()`), in ms.
   * Env: `FAULTLINE_SHUTDOWN_TIMEOUT_MS`.
   * @default 2000
   */
  shutdownTimeoutMs?: number;

  /**
   * Flush on SIGTERM and SIGINT, then let the signal do what it would have done.
   * @default true
   */
  handleSignals?: boolean;

  /**
   * Further `Sentry.init` options (integrations, beforeSend, tracesSampler...). Faultline's own
   * settings above take precedence over the same keys here.
   * @default {}
   */
  sentry?: Omit<NodeOptions, 'dsn' | 'release' | 'environment' | 'debug' | 'tracesSampleRate'>;
}
