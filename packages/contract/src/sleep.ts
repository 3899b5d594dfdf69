import { onAbort } from './on-abort.js';

/**
 * Waits `ms`; resolves true when the time passed, false at once when `signal` aborts (so a
 * stopping service never waits out a backoff). The one sleep every package uses; sleeps on one
 * signal share its one listener (see onAbort).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      cancel?.();
      resolve(true);
    }, ms);
    const cancel = signal
      ? onAbort(signal, () => {
          clearTimeout(timer);
          resolve(false);
        })
      : undefined;
  });
}
