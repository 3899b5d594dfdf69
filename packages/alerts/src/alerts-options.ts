import type { ConnectionOptions } from 'node:tls';
import type { Logger, LogLevel } from '@faultline/contract';
import type { SASLOptions } from 'kafkajs';
import type { AlertRulesOptions } from './alert-evaluator.js';
import type { AlertRuleName } from './alert-transition.js';
import type { ChannelName } from './channels/alert-channel.js';
import type { PostJsonOptions } from './channels/post-json.js';

export interface AlertChannelsOptions {
  /** Env: `FAULTLINE_ALERTS_SLACK_WEBHOOK_URL`. */
  slack?: { webhookUrl: string };
  /** Env: `FAULTLINE_ALERTS_PAGERDUTY_ROUTING_KEY` (and `_URL`). @default url the Events API v2 */
  pagerduty?: { routingKey: string; url?: string };
  /** Env: `FAULTLINE_ALERTS_OPSGENIE_API_KEY` (and `_URL`, e.g. the EU API). @default url the Alert API */
  opsgenie?: { apiKey: string; url?: string };
  /** Env: `FAULTLINE_ALERTS_WEBHOOK_URL`. */
  webhook?: { url: string };
}

export interface AlertsOptions {
  /** Env: `FAULTLINE_ALERTS_KAFKA_BROKERS`, else `FAULTLINE_KAFKA_BROKERS`. Required. */
  brokers: string[];
  /** The envelope topic. Env: `FAULTLINE_ALERTS_TOPIC`, else `FAULTLINE_KAFKA_TOPIC`. @default 'sentry-envelopes' */
  topic?: string;
  /** Its own consumer group, apart from the forwarder's. Env: `FAULTLINE_ALERTS_GROUP`. @default 'faultline-alerts' */
  groupId?: string;
  /** Compacted topic holding the open episodes across restarts. @default '<topic>.alerts-state' */
  stateTopic?: string;
  /**
   * Sentry project ids whose events the rules count; others are counted as `notAllowed` and left
   * out. Anyone who can write to the topic can name any project, so set it: the service warns at
   * start-up when it is not. Env: `FAULTLINE_ALERTS_PROJECTS` (comma-separated).
   * @default every project
   */
  projects?: string[];
  /** Thresholds and windows; the seed's values by default. */
  rules?: AlertRulesOptions;
  channels?: AlertChannelsOptions;
  /**
   * Which channels each rule notifies. A route to a channel that is not configured is an error.
   * @default spike: pagerduty, regression: slack, degradation: opsgenie (the seed's), each plus
   * webhook when one is configured; only the configured channels
   */
  routes?: Partial<Record<AlertRuleName, ChannelName[]>>;
  /** Print what would be sent instead of sending it. Env: `FAULTLINE_ALERTS_DRY_RUN`. @default false */
  dryRun?: boolean;
  /** How far back the topic is read at start to rebuild the rules' windows. @default 65 minutes */
  lookbackMinutes?: number;
  /** How often minutes are closed and evaluated. @default 5 000 ms */
  tickMs?: number;
  /**
   * How long the active run's consumer may go without starting a fetch (outside a batch) before
   * the run counts as stalled and is rebuilt. A healthy run fetches every 500 ms. It is also how
   * often the run compares the topic's end offsets with what it has read: a partition with unread
   * messages and no batch between two such checks rebuilds the run too. @default 60 000 ms
   */
  stallAfterMs?: number;
  /** How often a transition every channel refused is tried again. @default 30 000 ms */
  retryFailedMs?: number;
  /** Retries and timeout of each channel request. @default 5 attempts, backoff from 500 ms, 10 s timeout */
  http?: PostJsonOptions;
  /**
   * TLS to the brokers. Env: `FAULTLINE_ALERTS_KAFKA_SSL*`, else `FAULTLINE_KAFKA_SSL*` (CA,
   * client certificate and key files, server name; see docs/configuration.md). @default false
   */
  ssl?: boolean | ConnectionOptions;
  /**
   * SASL PLAIN, SCRAM-SHA-256/512 or OAUTHBEARER. Env: `FAULTLINE_ALERTS_KAFKA_SASL_*`, else
   * `FAULTLINE_KAFKA_SASL_*`. @default none
   */
  sasl?: SASLOptions;
  /** Env: `FAULTLINE_ALERTS_KAFKA_CLIENT_ID`, else `FAULTLINE_KAFKA_CLIENT_ID`. @default 'faultline-alerts' */
  clientId?: string;
  logLevel?: LogLevel;
  /** @default one JSON line per entry on stdout */
  logger?: Logger;
  /** @default Date.now */
  clock?: () => number;
}
