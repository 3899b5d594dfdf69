import { createConsoleLogger, fingerprintHash, type Logger } from '@faultline/contract';
import type { ErrorEvent, EventHint, SeverityLevel } from '@sentry/core';
import { LRUCache } from 'lru-cache';
import { type Clock, type Random, systemClock } from './clock.js';
import { createPeakHoursCheck, type PeakHours, parsePeakHours } from './peak-hours.js';
import { createRateWindow } from './rate-window.js';
import { createSpikeDetector, type SpikeOptions } from './spike-detector.js';
import { createTokenBucket } from './token-bucket.js';

/**
 * A user rule: `'keep'` keeps the event (no further sampling), `'drop'` drops it, a number is a
 * sample rate for it, `undefined` leaves the decision to the rest of the chain.
 */
export type ErrorRule = (event: ErrorEvent, hint: EventHint) => 'keep' | 'drop' | number | undefined;

export interface ErrorPolicyOptions {
  /**
   * The first N occurrences of each fingerprint per window are always kept.
   * Env: `FAULTLINE_ERRORS_PER_FINGERPRINT`. @default 10
   */
  keepFirstPerFingerprint?: number;
  /** The window those N are counted in. @default 60 000 ms */
  fingerprintWindowMs?: number;
  /**
   * Sample rate for occurrences after the first N. Env: `FAULTLINE_ERRORS_SAMPLE_RATE`. @default 0.1
   */
  sampleRate?: number;
  /** Fingerprints tracked at once (least recently seen are forgotten). @default 10 000 */
  maxFingerprints?: number;
  /**
   * Error budget, events per minute, refilled continuously. Fatal events and the first N of each
   * fingerprint are kept even when it is spent. Env: `FAULTLINE_ERRORS_PER_MINUTE`. @default no budget
   */
  budgetPerMinute?: number;
  /**
   * Levels dropped while under load, during a spike, or in peak hours, e.g. `['info', 'debug']`.
   * Env: `FAULTLINE_DROP_LEVELS_UNDER_LOAD`. @default [] (none)
   */
  dropLevelsUnderLoad?: SeverityLevel[];
  /** The process is under load when events reach the policy faster than this per minute. @default 600 */
  loadPerMinute?: number;
  /** Peak hours: `09:00-17:00 Europe/Berlin`, or parsed. Env: `FAULTLINE_PEAK_HOURS`. @default none */
  peakHours?: string | PeakHours;
  /** Spike protection, or `false` to turn it off. @default { factor: 3, baselineWindowMs: 300 000 } */
  spike?: SpikeOptions | false;
  /** During a spike, later occurrences are sampled at `sampleRate` times this. @default 0.1 */
  spikeRateFactor?: number;
  /** Rules run in order before the built-in sampling; a rule that throws keeps the event. @default [] */
  rules?: ErrorRule[];
  /** Where spike notices go (a breadcrumb is added too). @default the console, prefixed `[faultline]` */
  logger?: Logger;
  /** Adds a breadcrumb; Faultline passes Sentry's `addBreadcrumb`. @default none */
  addBreadcrumb?: (breadcrumb: { category: string; level: SeverityLevel; message: string }) => void;
  /** @default Date.now */
  clock?: Clock;
  /** @default Math.random */
  random?: Random;
}

/** Why the policy dropped events, by count. */
export interface ErrorPolicyStats {
  seen: number;
  kept: number;
  dropped: { sampled: number; budget: number; level: number; rule: number };
  /** Rules that threw (the event was kept). */
  ruleErrors: number;
  spiking: boolean;
  fingerprints: number;
}

/** A `beforeSend` with counters. */
export type ErrorPolicy = ((event: ErrorEvent, hint: EventHint) => ErrorEvent | null) & {
  stats(): ErrorPolicyStats;
};

interface FingerprintEntry {
  windowStart: number;
  count: number;
  droppedSinceKept: number;
}

/**
 * An error sampling policy for `Sentry.init({ beforeSend })`. In order: fatal events are kept;
 * user rules run; low levels are dropped under load, in a spike or in peak hours; the first N
 * occurrences of each fingerprint per window are kept; later ones are sampled (at a lower rate
 * during a spike) and must fit the budget. Kept events that follow drops carry a `sampling`
 * context saying how many of their fingerprint were dropped and at what rate.
 *
 * A drop returns `null`, which the SDK records in its client reports as `before_send`: the
 * policy records nothing itself, so no drop is counted twice. It never throws.
 */
export function createErrorPolicy(options: ErrorPolicyOptions = {}): ErrorPolicy {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const keepFirst = options.keepFirstPerFingerprint ?? 10;
  const windowMs = options.fingerprintWindowMs ?? 60_000;
  const sampleRate = options.sampleRate ?? 0.1;
  const spikeRateFactor = options.spikeRateFactor ?? 0.1;
  const dropLevels = new Set<string>(options.dropLevelsUnderLoad ?? []);
  const loadPerMinute = options.loadPerMinute ?? 600;
  const rules = options.rules ?? [];
  const logger = options.logger ?? createConsoleLogger('[faultline]');
  const table = new LRUCache<number, FingerprintEntry>({ max: options.maxFingerprints ?? 10_000 });
  const budget =
    options.budgetPerMinute !== undefined ? createTokenBucket(options.budgetPerMinute, clock) : undefined;
  const load = createRateWindow(60_000, 12, clock.now());
  const peak =
    options.peakHours === undefined
      ? undefined
      : createPeakHoursCheck(
          typeof options.peakHours === 'string' ? parsePeakHours(options.peakHours) : options.peakHours,
        );
  const spike =
    options.spike === false
      ? undefined
      : createSpikeDetector(options.spike ?? {}, clock, (spiking, rates) => {
          const message = spiking
            ? `error spike: ${Math.round(rates.short)}/min against a baseline of ${Math.round(rates.baseline)}/min; sampling protectively until it settles`
            : `error spike over: ${Math.round(rates.short)}/min; sampling normally again`;
          if (spiking) logger.warn(message);
          else logger.info(message);
          options.addBreadcrumb?.({
            category: 'faultline.sampling',
            level: spiking ? 'warning' : 'info',
            message,
          });
        });

  const stats: ErrorPolicyStats = {
    seen: 0,
    kept: 0,
    dropped: { sampled: 0, budget: 0, level: 0, rule: 0 },
    ruleErrors: 0,
    spiking: false,
    fingerprints: 0,
  };

  function keep(
    event: ErrorEvent,
    entry: FingerprintEntry | undefined,
    rate: number | undefined,
  ): ErrorEvent {
    stats.kept++;
    if (entry && entry.droppedSinceKept > 0) {
      const sampling = { dropped_since_last_kept: entry.droppedSinceKept, sample_rate: rate ?? 1 };
      // The SDK hands beforeSend an event of its own (normalized, so a copy of what the caller
      // passed): its contexts can take one more key without copying the rest.
      if (event.contexts) event.contexts.sampling = sampling;
      else event.contexts = { sampling };
      entry.droppedSinceKept = 0;
    }
    return event;
  }

  function drop(entry: FingerprintEntry | undefined, reason: keyof ErrorPolicyStats['dropped']): null {
    stats.dropped[reason]++;
    if (entry) entry.droppedSinceKept++;
    return null;
  }

  function decide(event: ErrorEvent, hint: EventHint): ErrorEvent | null {
    stats.seen++;
    const now = clock.now();
    load.add(now);
    const spiking = spike?.record(now) ?? false;
    const key = fingerprintHash(event);
    let entry = table.get(key);
    if (!entry) {
      entry = { windowStart: now, count: 0, droppedSinceKept: 0 };
      table.set(key, entry);
    } else if (now - entry.windowStart >= windowMs) {
      // A new window; the drop count carries over until an event of this fingerprint is kept.
      entry.windowStart = now;
      entry.count = 0;
    }
    entry.count++;

    if (event.level === 'fatal') {
      budget?.take();
      return keep(event, entry, undefined);
    }

    let forcedRate: number | undefined;
    for (const rule of rules) {
      let verdict: ReturnType<ErrorRule>;
      try {
        verdict = rule(event, hint);
      } catch {
        // Fail open: a broken rule must not lose data.
        stats.ruleErrors++;
        budget?.take();
        return keep(event, entry, undefined);
      }
      if (verdict === 'keep') {
        budget?.take();
        return keep(event, entry, undefined);
      }
      if (verdict === 'drop') return drop(entry, 'rule');
      if (typeof verdict === 'number') {
        forcedRate = verdict;
        break;
      }
    }

    if (dropLevels.size > 0 && event.level && dropLevels.has(event.level)) {
      const underLoad = spiking || load.perMinute(now) > loadPerMinute || (peak?.(now) ?? false);
      if (underLoad) return drop(entry, 'level');
    }

    if (forcedRate === undefined && entry.count <= keepFirst) {
      budget?.take();
      return keep(event, entry, undefined);
    }

    const rate = forcedRate ?? (spiking ? sampleRate * spikeRateFactor : sampleRate);
    if (!(random() < rate)) return drop(entry, 'sampled');
    if (budget && !budget.take()) return drop(entry, 'budget');
    return keep(event, entry, rate);
  }

  const policy = ((event: ErrorEvent, hint: EventHint) => {
    try {
      return decide(event, hint);
    } catch {
      // Never throw into the SDK: an unexpected failure keeps the event.
      return event;
    }
  }) as ErrorPolicy;
  policy.stats = () => ({
    ...stats,
    dropped: { ...stats.dropped },
    spiking: spike?.spiking ?? false,
    fingerprints: table.size,
  });
  return policy;
}
