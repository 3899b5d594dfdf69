import { backoffDelay } from './backoff.js';
import type { Logger } from './logger.js';
import { onAbort } from './on-abort.js';
import { sleep } from './sleep.js';

/**
 * Runs a start-up step until it succeeds (true) or `signal` aborts (false), logging one line per
 * condition (not one per attempt) and one when it clears. Brokers that are down at start, a topic
 * not created yet, a coordinator still moving: a service waits for each instead of exiting, since
 * users start services in any order. An error `isFatal` names (a refused login) is thrown at once:
 * waiting would not mend it.
 *
 * An abort ends the wait at once, even during an attempt: a KafkaJS connect to brokers that refuse
 * it retries inside itself for about 10 s, and a SIGTERM must not wait that out. The attempt
 * goes on unawaited; once it settles, `closeAbandoned` closes what it connected.
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
    /**
     * Run once the attempt an abort left under way has settled, either way, to close what it
     * connected; its own failure is ignored. @default nothing
     */
    closeAbandoned?: () => unknown;
  },
): Promise<boolean> {
  let condition: string | undefined;
  for (let attempt = 0; ; attempt++) {
    if (deps.signal.aborted) return false;
    try {
      const under = step();
      if ((await settledOrAborted(under, deps.signal)) === 'aborted') {
        const close = async () => deps.closeAbandoned?.();
        void under.then(close, close).catch(() => undefined);
        return false;
      }
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

/** Whether `attempt` settled (its rejection passed on) or `signal` aborted first. */
function settledOrAborted(attempt: Promise<unknown>, signal: AbortSignal): Promise<'settled' | 'aborted'> {
  return new Promise((resolve, reject) => {
    const unlisten = onAbort(signal, () => resolve('aborted'));
    attempt.then(
      () => {
        unlisten();
        resolve('settled');
      },
      (error: unknown) => {
        unlisten();
        reject(error);
      },
    );
  });
}
