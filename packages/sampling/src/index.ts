export {
  fingerprintHash,
  fingerprintOf,
  normalizeMessage,
  PRESAMPLE_SYMBOL,
  PRESAMPLED_RATE_ATTRIBUTE,
} from '@faultline/contract';
export type { Backpressure, BackpressureOptions } from './backpressure.js';
export { createBackpressure } from './backpressure.js';
export type { Clock, Random } from './clock.js';
export { createSeededRandom, systemClock } from './clock.js';
export type { ErrorPolicy, ErrorPolicyOptions, ErrorPolicyStats, ErrorRule } from './error-policy.js';
export { createErrorPolicy } from './error-policy.js';
export { DEFAULT_HEALTH_CHECK_GLOBS, HEALTH_CHECK_FACTOR } from './health-checks.js';
export type { SamplingEnv, SamplingEnvProblem } from './parse-sampling-env.js';
export { parseSamplingEnv } from './parse-sampling-env.js';
export type { PeakHours } from './peak-hours.js';
export { createPeakHoursCheck, parsePeakHours } from './peak-hours.js';
export { rebalance } from './rebalance.js';
export type { SpikeOptions } from './spike-detector.js';
export type { TargetController, TargetOptions } from './target-controller.js';
export { createTargetController } from './target-controller.js';
export type { TraceRule, TraceRuleKind } from './trace-rules.js';
export { parseTraceRules } from './trace-rules.js';
export type { TraceSampler, TraceSamplerOptions, TraceSamplerStats } from './trace-sampler.js';
export { createTraceSampler } from './trace-sampler.js';
