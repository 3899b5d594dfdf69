import type { KafkaSasl, KafkaTls } from '@faultline/contract';
import type { ErrorPolicyOptions, TraceRule } from '@faultline/sampling';
import type { StringRuleName } from '@faultline/scrubbing';
import type { NodeOptions } from '@sentry/node';
import type { Logger } from './logger.js';

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
   * @default the release a Sentry bundler plugin injected (`globalThis.SENTRY_RELEASE.id`: source
   * maps were uploaded under it), else `<service>@<version>`, the version from the app's
   * package.json, plus `+<commit>` when a CI variable (GITHUB_SHA, CI_COMMIT_SHA, ...) names one.
   * `faultline release` prints it.
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
   * Share of new traces to sample where no trace rule matches, 0 to 1. Env: `SENTRY_TRACES_SAMPLE_RATE`.
   * @default undefined: tracing is off unless trace rules or a target are set (then traces no
   * rule matches get 0, or 1 in target mode, where the controller sets the rates)
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
   * Secrets and personal data scrubbed from every envelope before it leaves the process (so
   * neither Kafka nor the spool holds them), or `false` for none. See docs/scrubbing.md.
   * @default on: keys, creditcard, bearer, urlauth, pemkey
   */
  scrub?:
    | false
    | {
        /**
         * Rule names, or the `FAULTLINE_SCRUB` grammar (`'email,ip'` adds the opt-in rules,
         * `'-creditcard'` takes one away, `'off'`). Env: `FAULTLINE_SCRUB`.
         * @default ['keys', 'creditcard', 'bearer', 'urlauth', 'pemkey']
         */
        rules?: string | StringRuleName[];
        /** More key names whose values are secrets. Env: `FAULTLINE_SCRUB_KEYS` (comma-separated). @default [] */
        extraKeys?: string[];
        /** Key names never scrubbed. Env: `FAULTLINE_SCRUB_SAFE_FIELDS` (comma-separated). @default [] */
        safeFields?: string[];
      };

  /**
   * Events the SDK processes at once (Sentry's `transportOptions.bufferSize`, 64 by default
   * there); one more is dropped as `queue_overflow` before any sampling. The error policy decides
   * at capture, so only events it keeps count here: a burst of thousands of one error costs a
   * few slots. Each event in processing holds roughly 10 to 30 KB (source lines, contexts), so
   * this bounds the memory a burst can take. It also bounds a burst's kept errors waiting for a
   * later turn of the event loop (past the first 16 of a tick). Env: `FAULTLINE_MAX_PENDING_EVENTS`.
   * @default 5000
   */
  maxPendingEvents?: number;

  /**
   * Where Faultline's own lines go (start-up notices, outages, spool left at close, spikes):
   * your logger, such as a pino or winston instance (`{ info, warn, debug }`). Faultline never
   * gives it a DSN or a credential.
   * @default the console, each line prefixed `[faultline]`
   */
  logger?: Logger;

  /**
   * Flush on SIGTERM and SIGINT, then let the signal do what it would have done (exit status
   * 128 + signal, also as PID 1). Env: `FAULTLINE_HANDLE_SIGNALS`.
   * @default true
   */
  handleSignals?: boolean;

  /** Kafka transport settings beyond the brokers. */
  kafka?: {
    /** Env: `FAULTLINE_KAFKA_TOPIC`. @default 'sentry-envelopes' */
    topic?: string;
    /** Env: `FAULTLINE_KAFKA_CLIENT_ID`. @default the service name */
    clientId?: string;
    /**
     * TLS to the brokers: `true`, or a CA, client certificate and key, server name.
     * Env: `FAULTLINE_KAFKA_SSL`, `_SSL_CA_FILE`, `_SSL_CERT_FILE`, `_SSL_KEY_FILE`,
     * `_SSL_KEY_PASSWORD`, `_SSL_SERVERNAME`, `_SSL_REJECT_UNAUTHORIZED`. @default false
     */
    ssl?: boolean | KafkaTls;
    /**
     * SASL PLAIN, SCRAM-SHA-256/512 (username and password) or OAUTHBEARER (an
     * `oauthBearerProvider` of your own). Env: `FAULTLINE_KAFKA_SASL_MECHANISM`, `_USERNAME`,
     * `_PASSWORD` (each also `_FILE`), `_OAUTHBEARER_TOKEN_FILE`, `_OAUTHBEARER_TOKEN_COMMAND`.
     * @default none
     */
    sasl?: KafkaSasl;
  };

  /**
   * The Kafka transport's disk buffer, or `false` for none. `dir` is the service's directory:
   * each process of the service spools in a slot of its own under it (`<dir>/<n>`), so the workers
   * of `node:cluster` and PM2's cluster instances need no setting, and a live process drains the
   * slot of one that is gone. `maxBytes` bounds each slot.
   * Env: `FAULTLINE_SPOOL_DIR`, `FAULTLINE_SPOOL_MAX_BYTES`, `FAULTLINE_SPOOL=off`.
   * @default { dir: '<os tmpdir>/faultline-spool-<uid>/<service>', maxBytes: 256 MiB }
   */
  spool?: { dir?: string; maxBytes?: number } | false;

  /**
   * Who makes KafkaJS spans. `faultline`: Sentry's own kafkajs integration is removed, so the
   * consumers and producers you wrap with `instrumentConsumer` / `instrumentProducer` are the only
   * source (no span twice; theirs lacks the Queues attributes and needs preload flags in ESM).
   * `sentry`: Sentry's integration stays and you should not wrap clients.
   * Env: `FAULTLINE_KAFKAJS_INSTRUMENTATION`.
   * @default 'faultline'
   */
  kafkajsInstrumentation?: 'faultline' | 'sentry';

  /** Adaptive error and trace sampling; see `SamplingOptions`. @default on, with the defaults there */
  sampling?: SamplingOptions;

  /**
   * Further `Sentry.init` options (integrations, beforeSend, tracesSampler...). Faultline's own
   * settings above take precedence over the same keys here. A `beforeSend` here runs after the
   * error policy; a `tracesSampler` here replaces Faultline's trace sampler.
   * @default {}
   */
  sentry?: Omit<NodeOptions, 'dsn' | 'release' | 'environment' | 'debug' | 'tracesSampleRate'>;
}

/** Sampling settings; each has a `FAULTLINE_*` variable, and an option here wins over it. */
export interface SamplingOptions {
  /**
   * The error policy (a `beforeSend`), or `false` to send every error.
   * Env: `FAULTLINE_ERRORS_SAMPLING=off` (and the `FAULTLINE_ERRORS_*` settings).
   * @default on: first 10 of each fingerprint per minute kept, then 10%, spike protection on
   */
  errors?: false | Omit<ErrorPolicyOptions, 'clock' | 'random' | 'logger' | 'addBreadcrumb'>;
  /**
   * Trace rules (`FAULTLINE_TRACES_RULES` grammar, or parsed).
   * @default none
   */
  traceRules?: string | TraceRule[];
  /** Root spans per minute to converge to. Env: `FAULTLINE_TRACES_TARGET_PER_MINUTE`. @default off */
  tracesTargetPerMinute?: number;
  /** Rate for health-check traces (0 allowed). Env: `FAULTLINE_TRACES_HEALTH_CHECK_RATE`. @default a third of their rate */
  healthCheckRate?: number;
  /** Halve trace rates while the transport is unhealthy. Env: `FAULTLINE_BACKPRESSURE`. @default true */
  backpressure?: boolean;
}
