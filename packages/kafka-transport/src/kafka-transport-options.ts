import type { ConnectionOptions } from 'node:tls';
import type { Logger } from '@faultline/contract';
import type { SpoolOptions } from '@faultline/spool';
import type { KafkaConfig, SASLOptions } from 'kafkajs';

export interface KafkaTransportOptions {
  /** Bootstrap brokers. Env: `FAULTLINE_KAFKA_BROKERS`. Required. */
  brokers: string[];
  /** Topic the envelopes go to. Env: `FAULTLINE_KAFKA_TOPIC`. @default 'sentry-envelopes' */
  topic?: string;
  /** KafkaJS client id. @default 'faultline' */
  clientId?: string;
  /** TLS: `true` for the system's CAs, or Node TLS options. Env: `FAULTLINE_KAFKA_SSL`. @default false */
  ssl?: boolean | ConnectionOptions;
  /** SASL (plain, scram-sha-256, scram-sha-512). Env: `FAULTLINE_KAFKA_SASL_*`. @default none */
  sasl?: SASLOptions;
  /** Batch compression. @default 'gzip' */
  compression?: 'gzip' | 'none';
  /** Envelopes per Kafka request. @default 200 */
  batchSize?: number;
  /** How long a partial batch waits for more envelopes. @default 10 ms */
  lingerMs?: number;
  /** Envelopes waiting in memory, in bytes; beyond it they go straight to the spool. @default 1 MiB (about 3,000 error envelopes; the
   * objects around them cost several times their bytes, so this bound keeps the heap small) */
  maxQueueBytes?: number;
  /**
   * Largest envelope sent, in bytes (the broker's `message.max.bytes` is 1 MiB by default).
   * A larger envelope is dropped, logged, and counted in client reports as `send_error`. Keep it
   * 10 KB under the topic's limit: the message's headers (the observations header up to 8 KiB)
   * count towards that limit too.
   * @default 1 000 000
   */
  maxMessageBytes?: number;
  /** A Kafka request not acknowledged within this long counts as failed (its batch is spooled). @default 10 000 ms */
  sendTimeoutMs?: number;
  /**
   * The disk buffer used while Kafka is unreachable, or `false` for none (envelopes are then
   * dropped, and counted, when Kafka is down). Env: `FAULTLINE_SPOOL_DIR`, `FAULTLINE_SPOOL_MAX_BYTES`.
   * @default { dir: '<os tmpdir>/faultline-spool-<uid>/<clientId>' }, 256 MiB
   */
  spool?: Omit<SpoolOptions, 'onDrop'> | false;
  /**
   * Backoff between attempts to reach Kafka again. While envelopes wait in the spool, attempts
   * are at most `backlogProbeMs` apart, so the backlog drains soon after Kafka is back.
   * @default { initialMs: 500, maxMs: 30 000, backlogProbeMs: 1000 }
   */
  retryBackoff?: { initialMs?: number; maxMs?: number; backlogProbeMs?: number };
  /** More KafkaJS client settings (timeouts, socket factory...). @default {} */
  kafka?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'ssl' | 'sasl'>;
  /** Where the transport's own lines go; never given credentials. @default the console, prefixed `[faultline] kafka transport:` */
  logger?: Logger;
}
