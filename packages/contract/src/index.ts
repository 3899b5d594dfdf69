export type { BackoffOptions } from './backoff.js';
export { backoffDelay } from './backoff.js';
export { connectOnce } from './connect-once.js';
export type { DeadLetterOrigin } from './dead-letter-headers.js';
export { DEAD_LETTER_HEADERS, originHeaders } from './dead-letter-headers.js';
export type { DsnParts } from './dsn.js';
export {
  dsnFromEnvelopeEndpoint,
  dsnHost,
  envelopeEndpoint,
  formatDsn,
  parseDsn,
  parseDsnCached,
  redactDsn,
} from './dsn.js';
export type { EnvelopeItemBytes, EnvelopeParseLimits, ParsedEnvelope } from './envelope-bytes.js';
export {
  DEFAULT_MAX_HEADER_DEPTH,
  DEFAULT_MAX_ITEMS,
  parseEnvelopeBytes,
  serializeEnvelopeBytes,
} from './envelope-bytes.js';
export { EXIT_GRACE_MS, exitAfterStop } from './exit-after-stop.js';
export { FaultlineError, type FaultlineErrorCode } from './faultline-error.js';
export {
  type FingerprintedEvent,
  fingerprintHash,
  fingerprintOf,
  normalizeMessage,
} from './fingerprint.js';
export { fixKafkaJsNegativeTimeout } from './fix-kafkajs-negative-timeout.js';
export { fixKafkaJsOrphanConnections } from './fix-kafkajs-orphan-connections.js';
export { foldKafkaLogs, type KafkaLogCreator } from './fold-kafka-logs.js';
export {
  createTunnelAgent,
  createTunnelCache,
  type ProxyRoute,
  type ProxySettings,
  parseProxySetting,
  proxyAuthorization,
  proxyFor,
  proxyRoute,
  proxySettingsFromEnv,
  type TunnelCache,
} from './http-proxy.js';
export { jsonDeeperThan } from './json-depth.js';
export type { KafkaTransportStats } from './kafka-transport-stats.js';
export type { Logger, LogLevel } from './logger.js';
export {
  createConsoleLogger,
  createJsonLinesLogger,
  isLogLevel,
  logLevelPasses,
  prefixLogger,
  silentLogger,
} from './logger.js';
export {
  DEFAULT_ENVELOPE_TOPIC,
  deadLetterTopicFor,
  isReadableSchema,
  MESSAGE_HEADERS,
  messageHeaders,
  messageKey,
  SCHEMA_VERSION,
} from './message-contract.js';
export { cleanText, MAX_TEXT, notificationText } from './notification-text.js';
export type { DurationObservation, ErrorObservation, Observation } from './observations.js';
export { isObservedItemType, MAX_DROPPED_PER_EVENT, observeItem } from './observations.js';
export {
  decodeObservationsHeader,
  encodeObservationsHeader,
  MAX_OBSERVATIONS_HEADER_BYTES,
  MAX_OBSERVED_ITEM_BYTES,
  observationsHeaderFor,
} from './observations-header.js';
export { observeUnserialized } from './observe-unserialized.js';
export { onAbort } from './on-abort.js';
export { PRESAMPLE_SYMBOL, PRESAMPLED_RATE_ATTRIBUTE } from './presample.js';
export { type ConsumerRetry, restartUnlessStopped, stoppedConsumerError } from './restart-unless-stopped.js';
export { ConfigError, type ConfigProblem } from './settings/config-error.js';
export {
  type Parsed,
  parseBoolean,
  parseBrokers,
  parseCount,
  parseEnum,
  parseList,
  parseMillis,
  parseName,
  parseRate,
  parseUrl,
} from './settings/parse-setting.js';
export {
  describeKafkaConnection,
  type KafkaConnection,
  type KafkaSasl,
  type KafkaSaslMechanism,
  type KafkaTls,
  kafkaConnectionHelp,
  type ResolveKafkaConnectionOptions,
  resolveKafkaConnection,
} from './settings/resolve-kafka-connection.js';
export {
  createSettingsReader,
  type SettingsReader,
  type SettingsSources,
  type SettingText,
} from './settings/settings-reader.js';
export { DEFAULT_SIZE_LIMITS, itemLimit, type SizeLimits } from './size-limits.js';
export { sleep } from './sleep.js';
export {
  isShutSocketLog,
  SHUT_SOCKET_MESSAGE,
  type SocketFactory,
  type SocketTracker,
  trackSockets,
} from './track-sockets.js';
export { trimEventBreadcrumbs } from './trim-event-breadcrumbs.js';
export { trimOldest } from './trim-oldest.js';
export { untilDone } from './until-done.js';
export type { TopicMetadataSource } from './wait-for-topic-leaders.js';
export { waitForTopicLeaders } from './wait-for-topic-leaders.js';
export {
  type ConsumerEventsLike,
  type ConsumerStallWatch,
  watchConsumerStall,
} from './watch-consumer-stall.js';
export {
  type BatchPayloadLike,
  type PartitionProgressOptions,
  type PartitionProgressWatch,
  watchPartitionProgress,
} from './watch-partition-progress.js';
export { STALL_AFTER_MS, type StallWatch, watchStall } from './watch-stall.js';
export { isTopicNotKnownYet, whileTopicUnknown } from './while-topic-unknown.js';
export { withDeadline } from './with-deadline.js';
