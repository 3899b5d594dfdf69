import { backoffDelay } from '@faultline/contract';

export interface UpstreamGateOptions {
  /** Requests in flight per upstream when it is healthy. */
  maxConcurrency: number;
  backoff: { initialMs: number; maxMs: number };
  /** After a decrease, further failures within this time do not decrease again (one per round trip). @default 1000 ms */
  decreaseEveryMs?: number;
  now?: () => number;
}

export interface UpstreamGate {
  /** Waits until the upstream may take one more request; false if `signal` aborted first. */
  acquire(upstream: string, signal: AbortSignal): Promise<boolean>;
  /** Gives the slot back with what happened: success grows the limit, failure shrinks it. */
  release(upstream: string, outcome: 'success' | 'failure' | 'neutral'): void;
  /** The current concurrency limit per upstream, for metrics. */
  limits(): Record<string, number>;
}

interface UpstreamState {
  limit: number;
  inFlight: number;
  consecutiveFailures: number;
  lastDecrease: number;
  /** No request starts before this time (ms). */
  openAt: number;
  waiters: (() => void)[];
  timer: NodeJS.Timeout | undefined;
}

/**
 * Congestion control per upstream host, as TCP does it: additive increase (one more request in
 * flight per success), multiplicative decrease (half, at most once per `decreaseEveryMs`) on
 * 5xx, timeouts and network errors. A run of failures with no success in between also closes
 * the upstream for a growing backoff, so an ingest that is down is probed by one request at a
 * time rather than retried by hundreds. Isolated failures (a 503 in twenty) cost little: the
 * failed envelope waits its own backoff, the others keep flowing.
 */
export function createUpstreamGate(options: UpstreamGateOptions): UpstreamGate {
  const now = options.now ?? Date.now;
  const decreaseEvery = options.decreaseEveryMs ?? 1000;
  const states = new Map<string, UpstreamState>();
  const state = (upstream: string) => {
    let s = states.get(upstream);
    if (!s) {
      s = {
        limit: options.maxConcurrency,
        inFlight: 0,
        consecutiveFailures: 0,
        lastDecrease: -Infinity,
        openAt: 0,
        waiters: [],
        timer: undefined,
      };
      states.set(upstream, s);
    }
    return s;
  };
  const wake = (s: UpstreamState) => {
    const wait = s.openAt - now();
    if (wait > 0) {
      if (!s.timer && s.waiters.length > 0) {
        s.timer = setTimeout(() => {
          s.timer = undefined;
          wake(s);
        }, wait);
      }
      return;
    }
    while (s.waiters.length > 0 && s.inFlight < s.limit) {
      s.inFlight++;
      s.waiters.shift()?.();
    }
  };

  return {
    acquire(upstream, signal) {
      const s = state(upstream);
      if (s.waiters.length === 0 && s.inFlight < s.limit && now() >= s.openAt) {
        s.inFlight++;
        return Promise.resolve(true);
      }
      if (signal.aborted) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const grant = () => {
          signal.removeEventListener('abort', abort);
          resolve(true);
        };
        const abort = () => {
          const i = s.waiters.indexOf(grant);
          if (i >= 0) s.waiters.splice(i, 1);
          resolve(false);
        };
        signal.addEventListener('abort', abort, { once: true });
        s.waiters.push(grant);
        wake(s);
      });
    },
    release(upstream, outcome) {
      const s = state(upstream);
      s.inFlight--;
      const t = now();
      if (outcome === 'success') {
        s.consecutiveFailures = 0;
        s.limit = Math.min(options.maxConcurrency, s.limit + 1);
      } else if (outcome === 'failure') {
        s.consecutiveFailures++;
        if (t - s.lastDecrease >= decreaseEvery) {
          s.limit = Math.max(1, Math.floor(s.limit / 2));
          s.lastDecrease = t;
        }
        // Failures in a row, none succeeding: the upstream looks down. Close it for a while.
        if (s.consecutiveFailures >= 3) {
          s.openAt = Math.max(s.openAt, t + backoffDelay(s.consecutiveFailures - 3, options.backoff));
        }
      }
      wake(s);
    },
    limits() {
      return Object.fromEntries([...states].map(([upstream, s]) => [upstream, s.limit]));
    },
  };
}
