import { backoffDelay, restartUnlessStopped, sleep, whileTopicUnknown } from '@faultline/contract';
import type { Consumer, Kafka } from 'kafkajs';
import { ensureTopic } from './ensure-topic.js';

export interface Leadership {
  readonly active: boolean;
  stop(): Promise<void>;
}

/** Waits before joining again after KafkaJS gave up: from 1 s, doubling, at most 30 s. */
export const REJOIN_BACKOFF = { initialMs: 1_000, maxMs: 30_000 };

/**
 * One active instance per topic: every instance joins a group on a one-partition topic, and the
 * member the group gives that partition is the active one. When it stops (or dies and its
 * session times out), the group gives the partition to another member, which takes over.
 * `onChange` is called with each change, in order.
 *
 * A consumer KafkaJS will not restart (a crash with `restart: false`, as after a broker outage
 * that outlasted its retries) is replaced by a new one: without that, an instance that lost its
 * brokers for a while would stand by for good, and with every instance so, nothing would alert.
 */
export async function joinLeadership(
  kafka: Kafka,
  options: { topic: string; groupId: string; sessionTimeoutMs?: number },
  onChange: (active: boolean) => void,
): Promise<Leadership> {
  await ensureTopic(kafka, options.topic);
  let active = false;
  let consumer: Consumer | undefined;
  /** Cuts a rejoin's backoff short at stop(), so no timer holds the process for up to 30 s. */
  const stopping = new AbortController();
  const set = (next: boolean) => {
    if (next === active || (next && stopping.signal.aborted)) return;
    active = next;
    onChange(next);
  };

  async function join(): Promise<void> {
    const current: Consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: 1_000,
      // Its fetches read nothing it uses; a shorter long-poll than KafkaJS's 5 s, because
      // disconnect() waits for the fetch in flight.
      maxWaitTimeInMs: 1000,
      // Not restarted once stopped or replaced: it would hold the partition as a second member.
      retry: restartUnlessStopped(() => stopping.signal.aborted || consumer !== current),
    });
    consumer = current;
    current.on(current.events.GROUP_JOIN, ({ payload }) => {
      set((payload.memberAssignment[options.topic] ?? []).includes(0));
    });
    current.on(current.events.CRASH, ({ payload }) => {
      set(false);
      if (!payload.restart) void rejoin(current);
    });
    await current.connect();
    await whileTopicUnknown(() => current.subscribe({ topic: options.topic }));
    await current.run({ eachMessage: async () => undefined });
  }

  async function rejoin(crashed: Consumer): Promise<void> {
    await crashed.disconnect().catch(() => undefined);
    for (let attempt = 0; ; attempt++) {
      if (!(await sleep(backoffDelay(attempt, REJOIN_BACKOFF), stopping.signal))) return;
      try {
        await join();
        // stop() came while this join was under way: it may have disconnected the consumer
        // before the join connected it again.
        if (stopping.signal.aborted) await consumer?.disconnect().catch(() => undefined);
        return;
      } catch {
        // The brokers are still away: try again later.
        await consumer?.disconnect().catch(() => undefined);
      }
    }
  }

  try {
    await join();
  } catch (error) {
    // Not joined (the brokers away): nothing is left connected for the caller's next attempt.
    stopping.abort();
    await consumer?.disconnect().catch(() => undefined);
    throw error;
  }
  return {
    get active() {
      return active;
    },
    async stop() {
      stopping.abort();
      // Inactive from here, not once the group is left: the caller's run stops while the consumer
      // leaves, so before another instance can take over, and even when a broker gone silent never
      // answers the leave (the caller bounds its wait for this).
      set(false);
      await consumer?.disconnect().catch(() => undefined);
    },
  };
}
