import {
  type DataCategory,
  disabledUntil,
  isRateLimited,
  type RateLimits,
  updateRateLimits,
} from '@sentry/core';

export interface RateLimitBook {
  /** Records what an answer said about limits (`Retry-After`, `X-Sentry-Rate-Limits`, 429). */
  update(
    dsnKey: string,
    answer: { status: number; retryAfter: string | null; rateLimits: string | null },
  ): void;
  /** Milliseconds until none of these categories is limited for this DSN; 0 when free now. */
  waitFor(dsnKey: string, categories: readonly DataCategory[]): number;
  /** Those of these categories limited for this DSN for longer than `ms` from now. */
  limitedLongerThan(
    dsnKey: string,
    categories: readonly DataCategory[],
    ms: number,
  ): ReadonlySet<DataCategory>;
}

const NONE: ReadonlySet<DataCategory> = new Set();

/**
 * Rate limits per DSN and category, with `@sentry/core`'s own parser and arithmetic, so the
 * forwarder reads a 429 exactly as the SDK would. An envelope waits while any of its categories
 * is limited: no request carries a limited category before its limit ends.
 */
export function createRateLimitBook(now: () => number = Date.now): RateLimitBook {
  const book = new Map<string, RateLimits>();
  return {
    update(dsnKey, answer) {
      if (answer.status !== 429 && !answer.retryAfter && !answer.rateLimits) return;
      book.set(
        dsnKey,
        updateRateLimits(
          book.get(dsnKey) ?? {},
          {
            statusCode: answer.status,
            headers: { 'retry-after': answer.retryAfter, 'x-sentry-rate-limits': answer.rateLimits },
          },
          now(),
        ),
      );
    },
    waitFor(dsnKey, categories) {
      const limits = book.get(dsnKey);
      if (!limits) return 0;
      const t = now();
      let until = 0;
      for (const category of categories) {
        if (isRateLimited(limits, category, t)) until = Math.max(until, disabledUntil(limits, category));
      }
      return until > t ? until - t : 0;
    },
    limitedLongerThan(dsnKey, categories, ms) {
      const limits = book.get(dsnKey);
      // Asked before every attempt; nearly always of a DSN with no limit: no new Set for that.
      if (!limits) return NONE;
      let long: Set<DataCategory> | undefined;
      const t = now();
      for (const category of categories) {
        if (isRateLimited(limits, category, t) && disabledUntil(limits, category) - t > ms) {
          long ??= new Set();
          long.add(category);
        }
      }
      return long ?? NONE;
    },
  };
}
