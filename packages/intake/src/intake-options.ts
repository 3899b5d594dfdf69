import type { Logger, LogLevel, SizeLimits } from '@faultline/contract';
import type { ScrubOptions } from '@faultline/scrubbing';
import type { KafkaConfig } from 'kafkajs';
import type { CategoryQuotas } from './project-rate-limits.js';

/** Options of `createIntake()`. The CLI reads each from a flag or a `FAULTLINE_INTAKE_*` variable. */
export interface IntakeOptions {
  /** Kafka bootstrap brokers. Env: `FAULTLINE_INTAKE_KAFKA_BROKERS`, else `FAULTLINE_KAFKA_BROKERS`. Required. */
  brokers: string[];
  /** @default 'faultline-intake' */
  clientId?: string;
  /** TLS to the brokers (KafkaJS's `ssl`). */
  ssl?: KafkaConfig['ssl'];
  /** SASL to the brokers (KafkaJS's `sasl`). */
  sasl?: KafkaConfig['sasl'];
  /** The envelope topic. Env: `FAULTLINE_INTAKE_TOPIC`, else `FAULTLINE_KAFKA_TOPIC`. @default 'sentry-envelopes' */
  topic?: string;
  /**
   * The allow-list: for each project the intake serves, its upstream DSN (Sentry's, or a Relay's).
   * SDKs send with that DSN's public key and project id; their DSN names the intake's host
   * instead (`http://<key>@intake:3000/<project>`). Each message carries the upstream DSN, which is
   * where the forwarder delivers it. Env: `FAULTLINE_INTAKE_DSNS`. Required.
   */
  dsns: string[];
  /** Port to listen on (0: any free port). Env: `FAULTLINE_INTAKE_PORT`. @default 3000 */
  port?: number;
  /** Address to listen on. Env: `FAULTLINE_INTAKE_HOST`. @default '0.0.0.0' */
  host?: string;
  /**
   * Origins browser SDKs may send from: exact origins (`https://app.example.com`) or `*`.
   * Env: `FAULTLINE_INTAKE_CORS_ORIGINS`. @default [] (requests with an `Origin` are refused)
   */
  corsOrigins?: string[];
  /** Largest request body as sent (compressed or not). Env: `FAULTLINE_INTAKE_MAX_BODY_BYTES`. @default 1 048 576 (1 MiB) */
  maxBodyBytes?: number;
  /**
   * Largest envelope after decompression: one Kafka message, so it must fit the topic's
   * `max.message.bytes` (Kafka's default is 1 048 588). Env: `FAULTLINE_INTAKE_MAX_ENVELOPE_BYTES`.
   * @default 1 000 000
   */
  maxEnvelopeBytes?: number;
  /**
   * Request bytes held at once (bodies as sent plus decoded), across requests: past it, new
   * requests get 503 with `Retry-After: 1` before their body is read, so memory stays bounded
   * under a flood. Env: `FAULTLINE_INTAKE_MAX_IN_FLIGHT_BYTES`. @default 67 108 864 (64 MiB)
   */
  maxInFlightBytes?: number;
  /** Per item type size limits. @default Relay's (`DEFAULT_SIZE_LIMITS`) */
  sizeLimits?: Partial<SizeLimits>;
  /** Breadcrumbs kept per event, the newest. Env: `FAULTLINE_INTAKE_MAX_BREADCRUMBS`. @default 100 */
  maxBreadcrumbs?: number;
  /**
   * Quotas per project and minute, by data category (`{ error: 5000, transaction: 20000 }`):
   * the seed's `max_events_per_minute` is `error`. Env: `FAULTLINE_INTAKE_RATE_LIMITS`
   * (`error=5000,transaction=20000`). @default {} (no quota)
   */
  rateLimits?: CategoryQuotas;
  /** Quotas for single projects, over `rateLimits`. Env: `FAULTLINE_INTAKE_PROJECT_RATE_LIMITS` (`42:error=100;43:span=1000`). @default {} */
  projectRateLimits?: Record<string, CategoryQuotas>;
  /**
   * How many intake instances share the quotas: each enforces `ceil(quota / instances)`.
   * Env: `FAULTLINE_INTAKE_INSTANCES`. @default 1
   */
  instances?: number;
  /** Scrubbing of secrets before anything is written, or `false`. Env: `FAULTLINE_INTAKE_SCRUB`. @default the default rules */
  scrub?: ScrubOptions | false;
  /** The spool that holds envelopes while Kafka is away. */
  spool?: {
    /** One intake per directory. Env: `FAULTLINE_INTAKE_SPOOL_DIR`. @default `<tmp>/faultline-spool-<uid>/intake-<port>` */
    dir?: string;
    /** Past this, envelopes are refused with 503. Env: `FAULTLINE_INTAKE_SPOOL_MAX_BYTES`. @default 268 435 456 (256 MiB) */
    maxBytes?: number;
    /** When appends reach the disk (see the spool). A process kill loses nothing either way. @default 'interval' */
    fsync?: 'always' | 'interval' | 'never';
  };
  /** How long an answer waits for Kafka's acknowledgement before the envelope goes to the spool. Env: `FAULTLINE_INTAKE_KAFKA_TIMEOUT_MS`. @default 5000 */
  kafkaTimeoutMs?: number;
  /** How long an envelope waits for others to share a produce request. @default 2 */
  lingerMs?: number;
  /** How often refusals are reported upstream as client reports. @default 10 000 */
  outcomeIntervalMs?: number;
  /** How long shutdown waits for requests in flight. Env: `FAULTLINE_INTAKE_SHUTDOWN_TIMEOUT_MS`. @default 10 000 */
  shutdownTimeoutMs?: number;
  /** @default JSON lines on stdout */
  logger?: Logger;
  /** Env: `FAULTLINE_INTAKE_LOG_LEVEL`. @default 'info' */
  logLevel?: LogLevel;
}
