import type { Clock } from './clock.js';

export interface TokenBucket {
  /** Takes one token if there is one. */
  take(): boolean;
  /** Tokens left now (fractional). */
  available(): number;
}

/**
 * A budget of `perMinute` events, refilled continuously, holding at most `burst` tokens
 * (default: one minute's worth). Starts full.
 */
export function createTokenBucket(perMinute: number, clock: Clock, burst = perMinute): TokenBucket {
  const perMs = perMinute / 60_000;
  let tokens = burst;
  let last = clock.now();

  function refill(): void {
    const now = clock.now();
    if (now > last) {
      tokens = Math.min(burst, tokens + (now - last) * perMs);
      last = now;
    }
  }

  return {
    take() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    available() {
      refill();
      return tokens;
    },
  };
}
