import { backoffDelay, sleep } from '@faultline/contract';
import type { Admin } from 'kafkajs';
import type { Logger } from './logger.js';

/**
 * Runs a start-up step until it succeeds (true) or `signal` aborts (false), logging one line per condition (not
 * one per attempt) and one when it clears. Brokers that are down at start, a topic not created
 * yet, a coordinator still moving: the forwarder waits for each instead of exiting.
 */
export async function untilDone(
  what: string,
  step: () => Promise<unknown>,
  deps: { logger: Logger; signal: AbortSignal; maxDelayMs?: number },
): Promise<boolean> {
  let condition: string | undefined;
  for (let attempt = 0; ; attempt++) {
    if (deps.signal.aborted) return false;
    try {
      await step();
      if (condition) deps.logger.info(`${what}: done`, { attempts: attempt + 1 });
      return true;
    } catch (error) {
      const reason = (error as Error).message;
      if (reason !== condition) {
        deps.logger.warn(`${what}: waiting`, { reason });
        condition = reason;
      }
      await sleep(backoffDelay(attempt, { initialMs: 500, maxMs: deps.maxDelayMs ?? 10_000 }), deps.signal);
    }
  }
}

/** Rejects while the topic does not exist, without creating it (topic settings are the operator's). */
export async function topicExists(admin: Admin, topic: string): Promise<void> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) throw new Error(`topic ${topic} does not exist yet`);
}
