import { backoffDelay } from './backoff.js';
import type { Logger } from './logger.js';
import { sleep } from './sleep.js';

/**
 * Runs a start-up step until it succeeds (true) or `signal` aborts (false), logging one line per
 * condition (not one per attempt) and one when it clears. Brokers that are down at start, a topic
 * not created yet, a coordinator still moving: a service waits for each instead of exiting, since
 * users start services in any order. An error `isFatal` names (a refused login) is thrown at once:
 * waiting would not mend it.
 */
export async function untilDone(
  what: string,
  step: () => Promise<unknown>,
  deps: {
    logger: Pick<Logger, 'info' | 'warn'>;
    signal: AbortSignal;
    /** The longest wait between two attempts. @default 10 000 ms */
    maxDelayMs?: number;
    /** Errors thrown at once instead of waited out. @default none */
    isFatal?: (error: unknown) => boolean;
  },
): Promise<boolean> {
  let condition: string | undefined;
  for (let attempt = 0; ; attempt++) {
    if (deps.signal.aborted) return false;
    try {
      await step();
      if (condition) deps.logger.info(`${what}: done`, { attempts: attempt + 1 });
      return true;
    } catch (error) {
      if (deps.isFatal?.(error)) throw error;
      const reason = (error as Error).message;
      if (reason !== condition) {
        deps.logger.warn(`${what}: waiting`, { reason });
        condition = reason;
      }
      await sleep(backoffDelay(attempt, { initialMs: 500, maxMs: deps.maxDelayMs ?? 10_000 }), deps.signal);
    }
  }
}
