// The KafkaJS instrumentation is at `@faultline/core/kafkajs` (see kafkajs.ts).

export type { ConfigProblem, DsnParts } from '@faultline/contract';
export {
  ConfigError,
  FaultlineError,
  type FaultlineErrorCode,
  parseDsn,
  redactDsn,
} from '@faultline/contract';
export type { AppInfo } from './detect-app.js';
export { detectApp } from './detect-app.js';
export { COMMIT_VARIABLES, detectCommit } from './detect-commit.js';
export { currentObservability, initObservability } from './init-observability.js';
export type { Logger } from './logger.js';
export type { ObservabilityHandle, ObservabilityStats } from './observability-handle.js';
export type { FaultlineOptions, TransportKind } from './options.js';
export type { ConfigSources, ResolvedConfig } from './resolve-config.js';
export { DEFAULT_SHUTDOWN_TIMEOUT_MS, defaultRelease, resolveConfig } from './resolve-config.js';
export type { RuntimeContext } from './runtime-context.js';
export { collectRuntimeContext, parseContainerId } from './runtime-context.js';
