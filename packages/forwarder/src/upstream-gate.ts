import { backoffDelay, onAbort } from '@faultline/contract';

/** Where an upstream stands: taking requests, refusing them, or letting one probe through. */
export type UpstreamStatus = 'open' | 'closed' | 'probing';

export interface UpstreamGateOptions {
  /** Requests in flight per upstream when it is healthy: the ceiling the limit climbs back to. */
  maxConcurrency: number;
  /**
   * Failures that close the upstream: of requests started after the last success completed,
   * with no success since. An ingest that is down fails every request it gets; one that fails
   * some (a 503 in twenty, fast or slow) keeps completing successes, which reset the count.
   * @default 8
   */
  closeAfterFailures?: number;
  /** While closed, one request probes after this delay, doubling per failed probe (jittered). @default { initialMs: 100, maxMs: 400 } */
  probe?: { initialMs: number; maxMs: number };
  /** The span over which the failure ratio is measured (for decreases and metrics). @default 1000 ms */
  windowMs?: number;
  /** Above this failure ratio over `windowMs` (and 10 answers), the limit is halved, once per window. @default 0.25 */
  decreaseAboveRatio?: number;
  /** Called once per change of status, with what caused it. */
  onChange?: (change: UpstreamChange) => void;
  now?: () => number;
  random?: () => number;
}

export interface UpstreamChange {
  upstream: string;
  status: UpstreamStatus;
  previous: UpstreamStatus;
  /** Why: e.g. `8 failures since the last success`, `probe succeeded`, `probe failed`. */
  reason: string;
  /** The concurrency limit after the change. */
  limit: number;
  /** Failure ratio over the last window when it changed. */
  failureRatio: number;
  /** Probes sent since the upstream closed (on reopening). */
  probes?: number;
  /** How long it was closed, on reopening (ms). */
  closedForMs?: number;
}

/** One granted request slot. Give it back with `release`, once, whatever happened. */
export interface UpstreamPermit {
  readonly upstream: string;
  /** The state generation it was granted in: outcomes from an earlier one change nothing. */
  readonly epoch: number;
  readonly startedAt: number;
  /** The one request let through to test a closed upstream. */
  readonly probe: boolean;
}

/**
 * What came of a permit: `success` (2xx), `failure` (5xx, timeout, network error), `answered`
 * (the upstream answered, neither: 429, another 4xx), `unused` (no request was sent after all).
 */
export type UpstreamOutcome = 'success' | 'failure' | 'answered' | 'unused';

export interface UpstreamSnapshot {
  status: UpstreamStatus;
  limit: number;
  inFlight: number;
  failureRatio: number;
}

export interface UpstreamGate {
  /** Waits until the upstream may take one more request; undefined if `signal` aborted first. */
  acquire(upstream: string, signal: AbortSignal): Promise<UpstreamPermit | undefined>;
  /** Gives the slot back with what happened. */
  release(permit: UpstreamPermit, outcome: UpstreamOutcome): void;
  /** Per upstream: status, concurrency limit, requests in flight, failure ratio; for metrics. */
  snapshot(): Record<string, UpstreamSnapshot>;
  /** Stops the probe timers. */
  close(): void;
}

const BUCKETS = 10;

interface State {
  status: UpstreamStatus;
  /** Concurrency limit; fractional during additive increase. */
  limit: number;
  /** Slow start below this, additive increase above. */
  threshold: number;
  inFlight: number;
  /** Of `inFlight`, those granted in the current epoch. */
  epochInFlight: number;
  epoch: number;
  /** When the last success (of this epoch) completed. */
  lastSuccessAt: number;
  /** Failures of requests started after `lastSuccessAt`. */
  failuresSinceSuccess: number;
  lastDecrease: number;
  /** Outcome counts per bucket of windowMs / BUCKETS, for the failure ratio. */
  successes: number[];
  failures: number[];
  bucketAt: number;
  /** The limit before the upstream closed: slow start climbs back to it. */
  lastGoodLimit: number;
  closedAt: number;
  probes: number;
  probeTimer: NodeJS.Timeout | undefined;
  /** The probe of this closed spell is on the wire. */
  inFlightProbe: boolean;
  waiters: ((permit: UpstreamPermit) => void)[];
}

/**
 * Congestion control per upstream host. A failure is judged by when its request started, never by
 * when it completed: a fast 503 completes before the slow successes started beside it, so counting
 * "in a row" by completion mistakes a few load-balancer 503s among hundreds in flight for an
 * ingest that is down. Here:
 *
 * - The upstream **closes** only after `closeAfterFailures` failures of requests started after the
 *   last success completed, none succeeding since, and no fewer than the requests still out. While closed, one **probe** at a time is let
 *   through (after 100 ms, growing to 400 ms apart); the first probe the upstream answers reopens it at
 *   once, in a new epoch: outcomes of requests started before a change never cause another one.
 * - The **limit** of requests in flight halves when over a quarter of the last second's answers
 *   are failures (at most once a second), grows by one per success from 8 up to the last good limit
 *   (slow start, so it is back within a few round trips), then by one per round trip.
 */
export function createUpstreamGate(options: UpstreamGateOptions): UpstreamGate {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const closeAfter = options.closeAfterFailures ?? 8;
  const probe = options.probe ?? { initialMs: 100, maxMs: 400 };
  const windowMs = options.windowMs ?? 1000;
  const bucketMs = windowMs / BUCKETS;
  const decreaseAbove = options.decreaseAboveRatio ?? 0.25;
  const max = options.maxConcurrency;
  const states = new Map<string, State>();

  const stateOf = (upstream: string) => {
    let s = states.get(upstream);
    if (!s) {
      s = {
        status: 'open',
        limit: max,
        threshold: max,
        inFlight: 0,
        epochInFlight: 0,
        epoch: 0,
        lastSuccessAt: -Infinity,
        failuresSinceSuccess: 0,
        lastDecrease: -Infinity,
        successes: new Array(BUCKETS).fill(0),
        failures: new Array(BUCKETS).fill(0),
        bucketAt: Math.floor(now() / bucketMs),
        lastGoodLimit: max,
        closedAt: 0,
        probes: 0,
        probeTimer: undefined,
        inFlightProbe: false,
        waiters: [],
      };
      states.set(upstream, s);
    }
    return s;
  };

  /** Moves the ring of buckets to now, zeroing the ones that fell out of the window. */
  const advance = (s: State) => {
    const bucket = Math.floor(now() / bucketMs);
    const steps = Math.min(BUCKETS, bucket - s.bucketAt);
    for (let i = 1; i <= steps; i++) {
      const at = (s.bucketAt + i) % BUCKETS;
      s.successes[at] = 0;
      s.failures[at] = 0;
    }
    if (steps > 0) s.bucketAt = bucket;
    return s.bucketAt % BUCKETS;
  };
  const ratio = (s: State) => {
    advance(s);
    let ok = 0;
    let failed = 0;
    for (let i = 0; i < BUCKETS; i++) {
      ok += s.successes[i] as number;
      failed += s.failures[i] as number;
    }
    return { total: ok + failed, value: ok + failed === 0 ? 0 : failed / (ok + failed) };
  };

  const change = (upstream: string, s: State, status: UpstreamStatus, reason: string, extra = {}) => {
    const previous = s.status;
    s.status = status;
    options.onChange?.({
      upstream,
      status,
      previous,
      reason,
      limit: Math.floor(s.limit),
      failureRatio: ratio(s).value,
      ...extra,
    });
  };

  const permit = (upstream: string, s: State): UpstreamPermit => {
    s.inFlight++;
    s.epochInFlight++;
    return { upstream, epoch: s.epoch, startedAt: now(), probe: s.status === 'probing' };
  };

  /** Grants waiting requests what the status and limit allow. */
  const wake = (upstream: string, s: State) => {
    if (s.status === 'closed') return;
    if (s.status === 'probing') {
      // One probe at a time: the next only once the last one has answered (or failed).
      if (s.inFlightProbe) return;
      const next = s.waiters.shift();
      if (next) {
        s.inFlightProbe = true;
        next(permit(upstream, s));
      }
      return;
    }
    while (s.waiters.length > 0 && s.inFlight < Math.floor(s.limit)) {
      (s.waiters.shift() as (p: UpstreamPermit) => void)(permit(upstream, s));
    }
  };

  const scheduleProbe = (upstream: string, s: State) => {
    const delay = backoffDelay(s.probes, probe, random);
    s.probeTimer = setTimeout(() => {
      s.probeTimer = undefined;
      change(
        upstream,
        s,
        'probing',
        `probe ${s.probes + 1} after ${Math.round(now() - s.closedAt)} ms closed`,
      );
      wake(upstream, s);
    }, delay);
    s.probeTimer.unref?.();
  };

  const close = (upstream: string, s: State, reason: string) => {
    s.lastGoodLimit = Math.max(2, Math.floor(s.limit));
    s.epoch++;
    s.epochInFlight = 0;
    s.closedAt = now();
    s.probes = 0;
    s.failuresSinceSuccess = 0;
    change(upstream, s, 'closed', reason);
    scheduleProbe(upstream, s);
  };

  const reopen = (upstream: string, s: State, reason: string) => {
    s.epoch++;
    s.epochInFlight = 0;
    // Slow start from a few requests back to the last good limit, then additive increase.
    s.threshold = s.lastGoodLimit;
    s.limit = Math.min(s.lastGoodLimit, 8);
    s.lastSuccessAt = now();
    s.failuresSinceSuccess = 0;
    const probes = s.probes + 1;
    s.probes = 0;
    change(upstream, s, 'open', reason, { probes, closedForMs: now() - s.closedAt });
    wake(upstream, s);
  };

  return {
    acquire(upstream, signal) {
      const s = stateOf(upstream);
      if (s.status === 'open' && s.waiters.length === 0 && s.inFlight < Math.floor(s.limit)) {
        return Promise.resolve(permit(upstream, s));
      }
      if (signal.aborted) return Promise.resolve(undefined);
      return new Promise<UpstreamPermit | undefined>((resolve) => {
        const grant = (p: UpstreamPermit) => {
          cancel();
          resolve(p);
        };
        // Waiters share the stop signal's one listener: a storm parks hundreds here (see onAbort).
        const cancel = onAbort(signal, () => {
          const i = s.waiters.indexOf(grant);
          if (i >= 0) s.waiters.splice(i, 1);
          resolve(undefined);
        });
        s.waiters.push(grant);
        wake(upstream, s);
      });
    },

    release(p, outcome) {
      const s = stateOf(p.upstream);
      s.inFlight--;
      if (p.epoch !== s.epoch) {
        // Started before the last change of status: it tells nothing about the upstream now.
        wake(p.upstream, s);
        return;
      }
      s.epochInFlight--;
      if (p.probe) {
        s.inFlightProbe = false;
        if (outcome === 'success' || outcome === 'answered') {
          reopen(p.upstream, s, 'probe answered');
        } else if (outcome === 'failure') {
          s.probes++;
          s.status = 'closed';
          scheduleProbe(p.upstream, s);
        } else {
          wake(p.upstream, s); // unused: the next waiter probes instead
        }
        return;
      }
      const t = now();
      const at = advance(s);
      if (outcome === 'success') {
        s.successes[at] = (s.successes[at] as number) + 1;
        s.lastSuccessAt = t;
        s.failuresSinceSuccess = 0;
        s.limit = Math.min(max, s.limit < s.threshold ? s.limit + 1 : s.limit + 1 / s.limit);
      } else if (outcome === 'failure') {
        s.failures[at] = (s.failures[at] as number) + 1;
        if (p.startedAt > s.lastSuccessAt) s.failuresSinceSuccess++;
        // Enough failures, and more of them than requests still out that may yet succeed: at
        // start-up (no success yet), a few fast 503s among hundreds in flight close nothing.
        if (s.failuresSinceSuccess >= closeAfter && s.failuresSinceSuccess >= s.epochInFlight) {
          close(p.upstream, s, `${s.failuresSinceSuccess} failures since the last success`);
          return;
        }
        const window = ratio(s);
        if (window.total >= 10 && window.value > decreaseAbove && t - s.lastDecrease >= windowMs) {
          s.limit = Math.max(1, Math.floor(s.limit / 2));
          s.threshold = s.limit;
          s.lastDecrease = t;
        }
      }
      wake(p.upstream, s);
    },

    snapshot() {
      const out: Record<string, UpstreamSnapshot> = {};
      for (const [upstream, s] of states) {
        out[upstream] = {
          status: s.status,
          limit: Math.floor(s.limit),
          inFlight: s.inFlight,
          failureRatio: ratio(s).value,
        };
      }
      return out;
    },

    close() {
      for (const s of states.values()) clearTimeout(s.probeTimer);
    },
  };
}
