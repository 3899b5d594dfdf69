export interface BackoffOptions {
  /** First delay. @default 500 ms */
  initialMs?: number;
  /** Largest delay. @default 30 000 ms */
  maxMs?: number;
}

/**
 * Exponential backoff with "equal jitter": attempt 0 waits between half and all of `initialMs`,
 * each later attempt doubles that, up to `maxMs`. Jitter keeps many clients that failed together
 * from retrying together.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random = Math.random): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}
