export type { SizeLimits } from '@faultline/contract';
export { DEFAULT_SIZE_LIMITS } from '@faultline/contract';
export type { AllowListConfig } from './allow-list.js';
export { createAllowList } from './allow-list.js';
export type { ResponseClass } from './classify-response.js';
export { classifyResponse } from './classify-response.js';
export type { Forwarder } from './create-forwarder.js';
export { createForwarder } from './create-forwarder.js';
export type { DeadLetterReason } from './dead-letter.js';
export type { ForwarderOptions } from './forwarder-options.js';
export type { Inspection, ItemCount } from './inspect-envelope.js';
export { inspectEnvelope } from './inspect-envelope.js';
export type { LogEntry, Logger, LogLevel } from './logger.js';
export type { ForwarderMetrics } from './metrics.js';
export type { OffsetTracker } from './offset-tracker.js';
export { createOffsetTracker } from './offset-tracker.js';
export type { StartFrom } from './place-new-group.js';
export type { ReplayProgress, ReplayWindow } from './replay.js';
export type { PartitionOffset, ReplayRange } from './replay-window.js';
export { replayRanges, replayTotal } from './replay-window.js';
export type {
  UpstreamChange,
  UpstreamGate,
  UpstreamGateOptions,
  UpstreamOutcome,
  UpstreamPermit,
  UpstreamSnapshot,
  UpstreamStatus,
} from './upstream-gate.js';
export { createUpstreamGate } from './upstream-gate.js';
