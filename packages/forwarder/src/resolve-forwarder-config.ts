import {
  ConfigError,
  type ConfigProblem,
  DEFAULT_ENVELOPE_TOPIC,
  DEFAULT_SIZE_LIMITS,
  type DsnParts,
  deadLetterTopicFor,
  parseBrokers,
  parseUrl,
  type SizeLimits,
  STALL_AFTER_MS,
} from '@faultline/contract';
import { createScrubber, type Scrubber } from '@faultline/scrubbing';
import { createAllowList } from './allow-list.js';
import type { ForwarderOptions } from './forwarder-options.js';
import type { StartFrom } from './place-new-group.js';

/** Every setting with its default applied: the one place defaults live. */
export interface ForwarderConfig {
  brokers: string[];
  topic: string;
  groupId: string;
  deadLetterTopic: string;
  isAllowed: (dsn: DsnParts) => boolean;
  upstream: URL | undefined;
  maxInFlight: number;
  maxInFlightPerPartition: number;
  sizeLimits: SizeLimits;
  maxEventsPerMinute: number | undefined;
  maxBreadcrumbs: number | undefined;
  scrubber: Scrubber | undefined;
  concurrency: number;
  requestTimeoutMs: number;
  maxRateLimitWaitMs: number;
  backoff: { initialMs: number; maxMs: number };
  dedupeSize: number;
  compressAboveBytes: number;
  outcomesIntervalMs: number;
  sessionTimeoutMs: number;
  stopGraceMs: number;
  stallAfterMs: number;
  startFrom: StartFrom;
}

/** Applies defaults and checks what can be checked before connecting; throws with every problem. */
export function resolveForwarderConfig(options: ForwarderOptions): ForwarderConfig {
  const problems: ConfigProblem[] = [];
  const problem = (name: string, value: unknown, expected: string) =>
    problems.push({ source: `options.${name}`, value: JSON.stringify(value) ?? String(value), expected });
  const positive = (name: string, value: number | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < 1) problem(name, value, 'a whole number of at least 1');
    return value;
  };
  const brokers = parseBrokers(options.brokers ?? []);
  if (!brokers.ok) problem('brokers', options.brokers ?? [], brokers.expected);
  let upstream: URL | undefined;
  if (options.upstream !== undefined) {
    const parsed = parseUrl(options.upstream);
    if (parsed.ok) upstream = parsed.value;
    else problem('upstream', options.upstream, parsed.expected);
  }
  let isAllowed: ForwarderConfig['isAllowed'] = () => false;
  try {
    isAllowed = createAllowList({
      allowedDsns: options.allowedDsns ?? [],
      allowedHosts: options.allowedHosts,
      hasUpstream: options.upstream !== undefined,
    });
  } catch (error) {
    // Never the DSNs themselves: the allow-list's message names them redacted.
    problems.push({
      source: 'options.allowedDsns',
      value: '(see expected)',
      expected: (error as Error).message,
    });
  }
  const maxInFlight = positive('maxInFlight', options.maxInFlight, 256);
  const topic = options.topic ?? DEFAULT_ENVELOPE_TOPIC;
  const config: ForwarderConfig = {
    brokers: options.brokers ?? [],
    topic,
    groupId: options.groupId ?? 'faultline-forwarder',
    deadLetterTopic: options.deadLetterTopic ?? deadLetterTopicFor(topic),
    isAllowed,
    upstream,
    maxInFlight,
    maxInFlightPerPartition: positive(
      'maxInFlightPerPartition',
      options.maxInFlightPerPartition,
      Math.max(1, Math.ceil(maxInFlight / 2)),
    ),
    sizeLimits: {
      ...DEFAULT_SIZE_LIMITS,
      ...(options.maxEnvelopeBytes !== undefined ? { envelope: options.maxEnvelopeBytes } : {}),
      ...(options.maxEventBytes !== undefined ? { event: options.maxEventBytes } : {}),
      ...options.sizeLimits,
    },
    maxEventsPerMinute: options.maxEventsPerMinute,
    maxBreadcrumbs: options.maxBreadcrumbs,
    scrubber: options.scrub ? createScrubber(options.scrub) : undefined,
    concurrency: positive('concurrency', options.concurrency, 8),
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 30_000),
    maxRateLimitWaitMs: positive('maxRateLimitWaitMs', options.maxRateLimitWaitMs, 60_000),
    backoff: {
      initialMs: options.retryBackoff?.initialMs ?? 500,
      maxMs: options.retryBackoff?.maxMs ?? 10_000,
    },
    dedupeSize: positive('dedupeSize', options.dedupeSize, 100_000),
    compressAboveBytes: options.compressAboveBytes ?? 32 * 1024,
    outcomesIntervalMs: positive('outcomesIntervalMs', options.outcomesIntervalMs, 10_000),
    sessionTimeoutMs: positive('sessionTimeoutMs', options.sessionTimeoutMs, 10_000),
    stopGraceMs: positive('stopGraceMs', options.stopGraceMs, 1500),
    stallAfterMs: positive('stallAfterMs', options.stallAfterMs, STALL_AFTER_MS),
    startFrom: options.startFrom ?? (options.fromBeginning === false ? 'latest' : 'earliest'),
  };
  if (options.startFrom instanceof Date && Number.isNaN(options.startFrom.getTime())) {
    problem('startFrom', 'Invalid Date', "'earliest', 'latest' or a valid Date");
  }
  if (problems.length > 0) throw new ConfigError(problems, 'The forwarder configuration');
  return config;
}
