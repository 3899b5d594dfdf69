import { type AlertTransition, MINUTE_MS } from './alert-transition.js';
import type { ErrorObservation } from './observations.js';
import { type Touched, touchSubject } from './touch-subject.js';

export interface SpikeOptions {
  /** Fires when a minute's volume exceeds the baseline by more than this. @default 200 (%, so 3x) */
  increasePercent?: number;
  /** The baseline: the mean volume of this many minutes before the one evaluated. @default 5 */
  baselineMinutes?: number;
  /** Below this many per minute nothing fires, whatever the baseline. @default 10 */
  minPerMinute?: number;
  /** Resolves after this many minutes back at or under the threshold. @default 2 */
  resolveAfterMinutes?: number;
  /** Evaluate per issue (project and fingerprint) and per project. @default both true */
  perIssue?: boolean;
  perProject?: boolean;
  /** Subjects tracked at most; the least recently seen are forgotten. @default 10 000 */
  maxSubjects?: number;
}

interface Subject extends Touched {
  project: string;
  label: string;
  counts: Map<number, number>;
  /** Set while an episode is open: the baseline it fired against, kept until it resolves. */
  episode?: { baseline: number; threshold: number; quiet: number; peak: number };
}

export interface SpikeRule {
  record(observation: ErrorObservation): void;
  /** Evaluates minute `minute` for every subject; call once per minute, in order. */
  close(minute: number): AlertTransition[];
  readonly size: number;
}

/**
 * The seed's issue spike: a minute whose true volume is more than `increasePercent` above the
 * mean of the `baselineMinutes` before it (missing minutes count 0), and at least
 * `minPerMinute`; nothing fires in the first `baselineMinutes` of data. The baseline is frozen when it fires, so the episode resolves when the volume
 * is back under that threshold, not when a rolling mean has caught up with the storm.
 */
export function createSpikeRule(options: SpikeOptions = {}): SpikeRule {
  const factor = 1 + (options.increasePercent ?? 200) / 100;
  const baselineMinutes = options.baselineMinutes ?? 5;
  const minPerMinute = options.minPerMinute ?? 10;
  const resolveAfter = options.resolveAfterMinutes ?? 2;
  const maxSubjects = options.maxSubjects ?? 10_000;
  const subjects = new Map<string, Subject>();
  // When each fingerprint was last kept: the drops a kept event reports happened since then.
  const lastKept = new Map<string, { at: number } & Touched>();
  // No baseline before this many minutes of data: at start-up everything would look like a spike.
  // Until the first minute is closed it follows the earliest minute seen, so one early envelope
  // with a later timestamp does not push the warm-up past the data that came before it.
  let warmUntil: number | undefined;
  let closed = false;

  return {
    record(observation) {
      const minute = Math.floor(observation.at / MINUTE_MS);
      if (!closed) warmUntil = Math.min(warmUntil ?? Number.POSITIVE_INFINITY, minute + baselineMinutes);
      // One key for the issue's last-kept time and its subject: built and hashed once.
      const issue = `spike:issue:${observation.project}:${observation.fingerprint}`;
      const last = touchSubject(lastKept, issue, () => ({ at: Number.NaN, seen: 0 }), maxSubjects);
      const first = Number.isNaN(last.at);
      const shares = spread(observation.at, first ? undefined : last.at, observation.weight);
      // The latest kept event's time: one that arrives late does not move it back.
      last.at = first ? observation.at : Math.max(observation.at, last.at);
      const add = (key: string, label: string) => {
        const subject = touchSubject(
          subjects,
          key,
          (): Subject => ({ project: observation.project, label, counts: new Map(), seen: 0 }),
          maxSubjects,
          (old) => old.episode !== undefined,
        );
        for (const [m, amount] of shares) subject.counts.set(m, (subject.counts.get(m) ?? 0) + amount);
      };
      if (options.perProject ?? true)
        add(`spike:project:${observation.project}`, `project ${observation.project}`);
      if (options.perIssue ?? true) {
        add(issue, observation.title);
      }
    },
    close(minute) {
      closed = true;
      const transitions: AlertTransition[] = [];
      const at = (minute + 1) * MINUTE_MS;
      for (const [key, subject] of subjects) {
        const current = Math.round(subject.counts.get(minute) ?? 0);
        let sum = 0;
        for (let m = minute - baselineMinutes; m < minute; m++) sum += subject.counts.get(m) ?? 0;
        const baseline = sum / baselineMinutes;
        const episode = subject.episode;
        if (episode) {
          episode.peak = Math.max(episode.peak, current);
          episode.quiet = current > episode.threshold ? 0 : episode.quiet + 1;
          if (episode.quiet >= resolveAfter) {
            subject.episode = undefined;
            transitions.push({
              rule: 'spike',
              key,
              status: 'resolved',
              project: subject.project,
              summary: `Spike over: ${subject.label} at ${current}/min (threshold ${round(episode.threshold)}/min)`,
              details: { perMinute: current, baseline: round(episode.baseline), peak: episode.peak },
              at,
            });
          }
        } else if (
          minute >= (warmUntil ?? Number.POSITIVE_INFINITY) &&
          current >= minPerMinute &&
          current > baseline * factor
        ) {
          const threshold = baseline * factor;
          subject.episode = { baseline, threshold, quiet: 0, peak: current };
          transitions.push({
            rule: 'spike',
            key,
            status: 'firing',
            project: subject.project,
            summary: `Spike: ${subject.label} at ${current}/min, ${round(baseline)}/min over the ${baselineMinutes} minutes before`,
            details: {
              perMinute: current,
              baseline: round(baseline),
              increasePercent: baseline > 0 ? Math.round((current / baseline - 1) * 100) : null,
            },
            at,
          });
        }
        for (const m of subject.counts.keys()) if (m <= minute - baselineMinutes) subject.counts.delete(m);
        if (subject.counts.size === 0 && !subject.episode) subjects.delete(key);
      }
      return transitions;
    },
    get size() {
      return subjects.size;
    },
  };
}

/**
 * Where an event's true volume goes: itself in its own minute, the drops it reports spread evenly
 * over the time since its fingerprint was last kept (they happened then, not all in its minute).
 * Without an earlier kept event, or out of order, the drops stay in its minute.
 */
function spread(at: number, previous: number | undefined, weight: number): [number, number][] {
  const own = Math.floor(at / MINUTE_MS);
  const dropped = weight - 1;
  if (dropped <= 0 || previous === undefined || previous >= at) return [[own, weight]];
  const shares = new Map<number, number>([[own, 1]]);
  const span = at - previous;
  // Each minute gets its share of the whole span, but only the last two hours are walked: older
  // minutes are past every baseline, and a timestamp of 0 would make this loop for years.
  for (let m = Math.max(Math.floor(previous / MINUTE_MS), own - SPREAD_MINUTES); m <= own; m++) {
    const from = Math.max(previous, m * MINUTE_MS);
    const to = Math.min(at, (m + 1) * MINUTE_MS);
    if (to > from) shares.set(m, (shares.get(m) ?? 0) + (dropped * (to - from)) / span);
  }
  return [...shares];
}

/** How far back reported drops are placed, at most (past that they feed no baseline). */
const SPREAD_MINUTES = 120;

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
