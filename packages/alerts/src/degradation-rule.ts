import { type AlertTransition, MINUTE_MS } from './alert-transition.js';
import type { DurationObservation } from './observations.js';
import { type Touched, touchSubject } from './touch-subject.js';

export interface DegradationOptions {
  /** Fires when a minute's percentile is more than this times the baseline. @default 2 */
  factor?: number;
  /** ...for this many consecutive minutes. @default 3 */
  consecutiveMinutes?: number;
  /** The duration percentile of each minute. @default 95 */
  percentile?: number;
  /** The baseline: the median of the minute percentiles of the last this many healthy minutes. @default 30 */
  baselineMinutes?: number;
  /** Healthy minutes needed before anything is judged. @default 5 */
  minBaselineMinutes?: number;
  /** A minute with fewer durations is not judged (it neither counts nor breaks a run). @default 5 */
  minSamplesPerMinute?: number;
  /** Durations kept per minute and operation (a uniform sample beyond it). @default 1 000 */
  maxSamplesPerMinute?: number;
  /** Operations tracked at most; the least recently seen are forgotten. @default 10 000 */
  maxSubjects?: number;
}

interface Subject extends Touched {
  project: string;
  name: string;
  minutes: Map<number, { samples: number[]; seen: number }>;
  healthy: number[];
  run: number;
  firing: boolean;
}

export interface DegradationRule {
  record(observation: DurationObservation): void;
  close(minute: number): AlertTransition[];
}

/**
 * The seed's performance degradation: per project and operation (a transaction, or a segment
 * span as SDK 11 streams them), the `percentile` of each minute's durations against the median
 * of the recent healthy minutes; above `factor` times it for `consecutiveMinutes` minutes in a
 * row, it fires; the first healthy minute after resolves it. Degraded minutes stay out of the
 * baseline, so a long incident does not become the new normal.
 */
export function createDegradationRule(options: DegradationOptions = {}): DegradationRule {
  const factor = options.factor ?? 2;
  const needed = options.consecutiveMinutes ?? 3;
  const percentile = options.percentile ?? 95;
  const baselineMinutes = options.baselineMinutes ?? 30;
  const minBaseline = options.minBaselineMinutes ?? 5;
  const minSamples = options.minSamplesPerMinute ?? 5;
  const maxSamples = options.maxSamplesPerMinute ?? 1_000;
  const maxSubjects = options.maxSubjects ?? 10_000;
  const subjects = new Map<string, Subject>();

  return {
    record({ project, name, durationMs, at }) {
      const key = `degradation:${project}:${name}`;
      const subject = touchSubject(
        subjects,
        key,
        (): Subject => ({ project, name, minutes: new Map(), healthy: [], run: 0, firing: false, seen: 0 }),
        maxSubjects,
        (old) => old.firing,
      );
      const minute = Math.floor(at / MINUTE_MS);
      let bucket = subject.minutes.get(minute);
      if (!bucket) {
        bucket = { samples: [], seen: 0 };
        subject.minutes.set(minute, bucket);
      }
      bucket.seen++;
      if (bucket.samples.length < maxSamples) bucket.samples.push(durationMs);
      else {
        const slot = Math.floor(Math.random() * bucket.seen);
        if (slot < maxSamples) bucket.samples[slot] = durationMs;
      }
    },
    close(minute) {
      const transitions: AlertTransition[] = [];
      const at = (minute + 1) * MINUTE_MS;
      for (const [key, subject] of subjects) {
        const bucket = subject.minutes.get(minute);
        for (const m of subject.minutes.keys()) if (m <= minute) subject.minutes.delete(m);
        if (!bucket || bucket.samples.length < minSamples) continue;
        const value = percentileOf(bucket.samples, percentile);
        const baseline = subject.healthy.length >= minBaseline ? median(subject.healthy) : undefined;
        const degraded = baseline !== undefined && value > factor * baseline;
        if (!degraded) {
          subject.healthy.push(value);
          if (subject.healthy.length > baselineMinutes) subject.healthy.shift();
          subject.run = 0;
          if (subject.firing) {
            subject.firing = false;
            transitions.push({
              rule: 'degradation',
              key,
              status: 'resolved',
              project: subject.project,
              summary: `${subject.name} is back: p${percentile} ${Math.round(value)} ms`,
              details: { name: subject.name, percentileMs: Math.round(value), baselineMs: baseline },
              at,
            });
          }
          continue;
        }
        subject.run++;
        if (subject.run >= needed && !subject.firing) {
          subject.firing = true;
          transitions.push({
            rule: 'degradation',
            key,
            status: 'firing',
            project: subject.project,
            summary: `${subject.name} is slow: p${percentile} ${Math.round(value)} ms, over ${factor}x its baseline of ${Math.round(baseline)} ms for ${subject.run} minutes`,
            details: {
              name: subject.name,
              percentileMs: Math.round(value),
              baselineMs: Math.round(baseline),
              minutes: subject.run,
            },
            at,
          });
        }
      }
      return transitions;
    },
  };
}

/** Nearest-rank percentile. */
export function percentileOf(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

function median(values: number[]): number {
  return percentileOf(values, 50);
}
