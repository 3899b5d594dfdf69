// The KafkaJS instrumentation is at `@faultline/core/kafkajs` (see kafkajs.ts).

export type { DsnParts } from '@faultline/contract';
export { parseDsn, redactDsn } from '@faultline/contract';
export type { ConfigProblem } from './config-error.js';
export { ConfigError } from './config-error.js';
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
