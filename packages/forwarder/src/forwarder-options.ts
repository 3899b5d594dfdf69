import type { ConnectionOptions } from 'node:tls';
import type { SizeLimits } from '@faultline/contract';
import type { ScrubOptions } from '@faultline/scrubbing';
import type { SASLOptions } from 'kafkajs';
import type { Logger, LogLevel } from './logger.js';
import type { StartFrom } from './place-new-group.js';

export interface ForwarderOptions {
  /** Kafka bootstrap brokers. Env (the CLI): `FAULTLINE_FORWARDER_KAFKA_BROKERS`, else `FAULTLINE_KAFKA_BROKERS`. Required. */
  brokers: string[];
  /** The envelope topic. Env: `FAULTLINE_FORWARDER_TOPIC`. @default 'sentry-envelopes' */
  topic?: string;
  /** Consumer group; instances in one group share the partitions. Env: `FAULTLINE_FORWARDER_GROUP`. @default 'faultline-forwarder' */
  groupId?: string;
  /** Where undeliverable envelopes go. Env: `FAULTLINE_FORWARDER_DEAD_LETTER_TOPIC`. @default '<topic>.dead-letter' */
  deadLetterTopic?: string;
  /**
   * DSNs the forwarder may deliver for: full DSNs (key, host and project), or public keys.
   * Without `upstream`, a bare key is accepted only together with `allowedHosts`: public keys are
   * not secret, so a key alone must never let a message choose the host the forwarder calls.
   * Env: `FAULTLINE_FORWARDER_ALLOWED_DSNS` (comma-separated). Required.
   */
  allowedDsns: string[];
  /**
   * Hosts (`host` or `host:port`) that bare public keys may be delivered to, when there is no
   * `upstream`. Env: `FAULTLINE_FORWARDER_ALLOWED_HOSTS` (comma-separated). @default none
   */
  allowedHosts?: string[];
  /**
   * Send everything to this base URL (a Relay, e.g. `http://relay:3000`) instead of the host in
   * each DSN; then only this host is ever called. Env: `FAULTLINE_FORWARDER_UPSTREAM`.
   * @default the DSN's own host
   */
  upstream?: string;
  /**
   * Envelopes being delivered at once by this instance (requests in flight, plus envelopes
   * waiting out a rate limit or a retry). Bounds memory: at most this many envelopes are held.
   * Env: `FAULTLINE_FORWARDER_MAX_IN_FLIGHT`. @default 256
   */
  maxInFlight?: number;
  /**
   * Of `maxInFlight`, the most one partition may hold, so one busy partition cannot starve the rest;
   * raised to `maxInFlight / partitions held` when that is more (an instance holding one partition
   * uses its whole window). @default half of maxInFlight
   */
  maxInFlightPerPartition?: number;
  /** Size limits per item type, Relay's defaults unless set (see `DEFAULT_SIZE_LIMITS`). */
  sizeLimits?: Partial<SizeLimits>;
  /** Shorthand for `sizeLimits.envelope`. @default 104 857 600 (100 MiB) */
  maxEnvelopeBytes?: number;
  /** Shorthand for `sizeLimits.event`. @default 1 048 576 (1 MiB) */
  maxEventBytes?: number;
  /** Per project: events per minute forwarded; more are dropped, counted and reported upstream. Env: `FAULTLINE_FORWARDER_MAX_EVENTS_PER_MINUTE`. @default no limit */
  maxEventsPerMinute?: number;
  /**
   * Scrub secrets and personal data from each envelope before delivery, with the rules of
   * `@faultline/scrubbing` (for producers that do not scrub themselves; see docs/scrubbing.md).
   * Env: `FAULTLINE_FORWARDER_SCRUB`. @default false
   */
  scrub?: ScrubOptions | false;
  /** Per event: keep the last N breadcrumbs, trimming the rest (counted). Env: `FAULTLINE_FORWARDER_MAX_BREADCRUMBS`. @default no limit */
  maxBreadcrumbs?: number;
  /** Partitions whose batches are read at once (KafkaJS `partitionsConsumedConcurrently`). Env: `FAULTLINE_FORWARDER_CONCURRENCY`. @default 8 */
  concurrency?: number;
  /**
   * Ingest request timeout while connecting and sending (no progress for this long), and the
   * ceiling of the answer timeout, which is learned per upstream from its answers (four times
   * its smoothed round trip plus four deviations, at least 250 ms), so a request that is never
   * answered frees its slot in under half a second at a 50 ms ingest. @default 30 000 ms
   */
  requestTimeoutMs?: number;
  /**
   * The longest rate limit (429, or `X-Sentry-Rate-Limits` on any answer) an envelope is held
   * for. Within it nothing is dropped; beyond it (a quota spent for the day, a category the
   * server refuses, as Bugsink refuses spans) the limited items are dropped and reported as
   * `ratelimit_backoff`, the rest sent. Env: `FAULTLINE_FORWARDER_MAX_RATE_LIMIT_WAIT_MS`.
   * @default 60 000 ms
   */
  maxRateLimitWaitMs?: number;
  /**
   * Each envelope's own backoff after a 5xx, a timeout or a network error (exponential, with
   * jitter), waited without holding a request slot. An ingest that is down is handled by the
   * upstream's status instead (closed, probed, reopened), which costs waiting envelopes no
   * attempt. @default { initialMs: 500, maxMs: 10 000 }
   */
  retryBackoff?: { initialMs?: number; maxMs?: number };
  /** Event ids remembered to suppress duplicates. @default 100 000 */
  dedupeSize?: number;
  /** Bodies larger than this are gzipped. @default 32 768 */
  compressAboveBytes?: number;
  /** How often the drops are reported upstream as client reports, per DSN. @default 10 000 ms */
  outcomesIntervalMs?: number;
  /** Port for /metrics, /healthz and /readyz; 0 picks a free one; undefined: no server. Env: `FAULTLINE_FORWARDER_METRICS_PORT`. */
  metricsPort?: number;
  /**
   * Kafka TLS. Env (the CLI): `FAULTLINE_FORWARDER_KAFKA_SSL*`, then `FAULTLINE_KAFKA_SSL*`
   * (see docs/configuration.md). @default false
   */
  ssl?: boolean | ConnectionOptions;
  /**
   * Kafka SASL: PLAIN, SCRAM-SHA-256/512 or OAUTHBEARER. Env (the CLI):
   * `FAULTLINE_FORWARDER_KAFKA_SASL_*`, then `FAULTLINE_KAFKA_SASL_*`. @default none
   */
  sasl?: SASLOptions;
  /**
   * The HTTP proxy to reach the ingest (or the Relay) through, as a URL (`http://proxy:3128`,
   * credentials in it if the proxy needs them), or `false` to connect directly whatever the
   * environment says. HTTPS goes through a CONNECT tunnel: the proxy never sees the envelopes.
   * Env: `FAULTLINE_FORWARDER_PROXY` (a URL or `off`).
   * @default from `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` (lower case first), as Sentry's SDK
   */
  proxy?: string | false;
  /** Kafka client id. Env (the CLI): `FAULTLINE_FORWARDER_KAFKA_CLIENT_ID`. @default 'faultline-forwarder' */
  clientId?: string;
  /**
   * Consumer session timeout: how long the group waits for an instance that died without leaving
   * (SIGKILL, OOM) before its partitions go to another; heartbeats go every second. Shorter means a
   * faster takeover, but an event loop stalled that long (a long GC, a CPU-starved container) then
   * costs a rebalance. The broker must allow it (`group.min.session.timeout.ms`, 6 s by default).
   * Env: `FAULTLINE_FORWARDER_SESSION_TIMEOUT_MS`. @default 10 000 ms
   */
  sessionTimeoutMs?: number;
  /**
   * At stop (SIGTERM), how long requests already on the wire may take to finish before they are
   * cut (and delivered again by the next owner). Then offsets are committed and the group left.
   * @default 1 500 ms
   */
  stopGraceMs?: number;
  /**
   * How long the consumer may go without a sign of life (a fetch started, a heartbeat, a join, a
   * crash KafkaJS restarts from), outside the forwarder's own batches, before consuming counts as
   * unable to go on (`onFatal`; the CLI exits with status 1 and the orchestrator starts it again).
   * A healthy consumer starts a fetch every second. It is also the interval of the progress
   * check: an assigned partition with envelopes to read, and no batch of it between two checks
   * while none was in hand, counts the same way. @default 60 000 ms
   */
  stallAfterMs?: number;
  /**
   * Where a group that has never committed starts: `'earliest'` (all the topic's retention,
   * with a warning at start when that is more than the last hour), `'latest'` (only what is
   * written from now on), or a `Date` (the first envelope written at or after it). A group that
   * has committed always resumes where it stopped. Env: `FAULTLINE_FORWARDER_START_FROM`.
   * @default 'earliest'
   */
  startFrom?: StartFrom;
  /** @deprecated use `startFrom` (`true` is `'earliest'`, `false` is `'latest'`). */
  fromBeginning?: boolean;
  /** Lowest level logged. Env: `FAULTLINE_FORWARDER_LOG_LEVEL`. @default 'info' */
  logLevel?: LogLevel;
  /**
   * Where the forwarder's lines go (the `Logger` every Faultline package takes), behind the
   * `logLevel` filter; never given a DSN's key or credentials.
   * @default one JSON line per entry on stdout (`time`, `level`, `msg` and the line's fields)
   */
  logger?: Logger;
  /**
   * Called once when consuming cannot go on (KafkaJS gave up and will not restart the consumer,
   * the consumer stalled, or it stopped reading a partition: see `stallAfterMs`).
   * `/readyz` answers 503 from then on. The CLI exits with status 1.
   * @default nothing beyond an error log line
   */
  onFatal?: (error: Error) => void;
}
