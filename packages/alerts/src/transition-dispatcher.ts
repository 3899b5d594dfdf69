import type { Logger } from '@faultline/contract';
import type { Producer } from 'kafkajs';
import type { AlertNotifier } from './alert-notifier.js';
import type { AlertTransition } from './alert-transition.js';
import type { EpisodeBook } from './episode-book.js';

/** Failed transitions kept for another try, at most. */
const MAX_RETRY = 1_000;

export interface TransitionDispatcher {
  /** Sends transitions one at a time, in order; resolves when these are handled. */
  handle(transitions: AlertTransition[]): Promise<void>;
  /** Tries again what every channel refused, at most every `retryEveryMs`. */
  retryFailed(): Promise<void>;
  /** Resolves when everything handed over so far is handled. */
  idle(): Promise<void>;
}

/**
 * Delivers the rules' transitions: admitted by the episode book (once per episode), sent through
 * the channels, recorded in the state topic. Transitions are handled one at a time, in order, so
 * the book and the state topic stay in step. Those every channel failed to take are retried on
 * later ticks, in order; a subject's later transitions queue behind its failed one, so a resolve
 * never overtakes its fire.
 */
export function createTransitionDispatcher(deps: {
  book: EpisodeBook;
  notifier: AlertNotifier;
  producer: () => Producer | undefined;
  stateTopic: string;
  stats: { sent: number; suppressed: number; failed: number };
  logger: Logger;
  retryEveryMs: number;
  isStopped: () => boolean;
}): TransitionDispatcher {
  const { book, notifier, stats, logger } = deps;
  const retry: AlertTransition[] = [];
  let retriedAt = 0;
  let handling = Promise.resolve();

  const deliver = async (transition: AlertTransition): Promise<void> => {
    if (retry.some((queued) => queued.key === transition.key)) {
      retry.push(transition);
      return;
    }
    if (deps.isStopped() || !book.admit(transition)) {
      stats.suppressed++;
      return;
    }
    if (!(await notifier.notify(transition))) {
      if (retry.length >= MAX_RETRY) retry.shift();
      retry.push(transition);
      stats.failed++;
      return;
    }
    stats.sent++;
    const record = book.sent(transition);
    await deps
      .producer()
      ?.send({ topic: deps.stateTopic, messages: [{ key: transition.key, value: JSON.stringify(record) }] })
      .catch((error: Error) =>
        logger.warn('could not record an episode; a restart may send it again', { error: error.message }),
      );
  };

  return {
    handle(transitions) {
      if (transitions.length === 0) return handling;
      handling = handling.then(async () => {
        for (const transition of transitions) await deliver(transition);
      });
      return handling;
    },
    retryFailed() {
      if (retry.length === 0 || Date.now() - retriedAt < deps.retryEveryMs) return handling;
      retriedAt = Date.now();
      handling = handling.then(async () => {
        const queued = retry.splice(0);
        for (const transition of queued) await deliver(transition);
      });
      return handling;
    },
    idle: () => handling,
  };
}
