import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';

export interface ForwarderOptions {
  /** Kafka bootstrap brokers. Env: `FAULTLINE_FORWARDER_BROKERS`. Required. */
  brokers: string[];
  /** The envelope topic. Env: `FAULTLINE_FORWARDER_TOPIC`. @default 'sentry-envelopes' */
  topic?: string;
  /** Consumer group; instances in one group share the partitions. Env: `FAULTLINE_FORWARDER_GROUP`. @default 'faultline-forwarder' */
  groupId?: string;
  /** Where undeliverable envelopes go. Env: `FAULTLINE_FORWARDER_DEAD_LETTER_TOPIC`. @default '<topic>.dead-letter' */
  deadLetterTopic?: string;
  /**
   * DSNs the forwarder may deliver for: public keys or full DSNs. Required and non-empty: a
   * forwarder must never be steered by a message to a host nobody configured.
   * Env: `FAULTLINE_FORWARDER_ALLOWED_DSNS` (comma-separated).
   */
  allowedDsns: string[];
  /**
   * Send everything to this base URL (a Relay, e.g. `http://relay:3000`) instead of the host in
   * each DSN. Env: `FAULTLINE_FORWARDER_UPSTREAM`. @default the DSN's own host
   */
  upstream?: string;
  /** Relay's `max_envelope_size`. @default 104 857 600 (100 MiB) */
  maxEnvelopeBytes?: number;
  /** Relay's `max_event_size`. @default 1 048 576 (1 MiB) */
  maxEventBytes?: number;
  /** Per project: events per minute forwarded; more are dropped and counted. Env: `FAULTLINE_FORWARDER_MAX_EVENTS_PER_MINUTE`. @default no limit */
  maxEventsPerMinute?: number;
  /** Per event: keep the last N breadcrumbs, trimming the rest (counted). Env: `FAULTLINE_FORWARDER_MAX_BREADCRUMBS`. @default no limit */
  maxBreadcrumbs?: number;
  /** Partitions processed at once by one instance. @default 4 */
  concurrency?: number;
  /** Ingest request timeout. @default 30 000 ms */
  requestTimeoutMs?: number;
  /** Retry backoff for 5xx, timeouts and network errors (exponential, with jitter). @default { initialMs: 500, maxMs: 60 000 } */
  retryBackoff?: { initialMs?: number; maxMs?: number };
  /** Event ids remembered to suppress duplicates. @default 100 000 */
  dedupeSize?: number;
  /** Bodies larger than this are gzipped. @default 32 768 */
  compressAboveBytes?: number;
  /** Port for /metrics, /healthz and /readyz; 0 picks a free one; undefined: no server. Env: `FAULTLINE_FORWARDER_METRICS_PORT`. */
  metricsPort?: number;
  /** Kafka TLS. Env: `FAULTLINE_FORWARDER_KAFKA_SSL`. @default false */
  ssl?: boolean | ConnectionOptions;
  /** Kafka SASL. Env: `FAULTLINE_FORWARDER_KAFKA_SASL_MECHANISM`, `_USERNAME`, `_PASSWORD`. @default none */
  sasl?: SASLOptions;
  /** Read the topic from its first offset when the group has none yet. @default true */
  fromBeginning?: boolean;
  /** Structured JSON log lines; never given a DSN's secret or credentials. @default one JSON line per event on stdout */
  log?: (entry: { level: 'info' | 'warn' | 'error'; msg: string; [key: string]: unknown }) => void;
}
