export type { RoutedDsn } from './allow-list.js';
export { createAllowList, parseRoutedDsn } from './allow-list.js';
export type { DeadLetterReason, Forwarder } from './create-forwarder.js';
export { createForwarder } from './create-forwarder.js';
export type { ForwarderOptions } from './forwarder-options.js';
export type { EnvelopeLimits, Inspection } from './inspect-envelope.js';
export { inspectEnvelope } from './inspect-envelope.js';
export type { ForwarderMetrics } from './metrics.js';
export { renderMetrics } from './metrics.js';
