import { whileTopicUnknown } from '@faultline/contract';
import type { Kafka } from 'kafkajs';
import { ensureTopic } from './ensure-topic.js';

export interface Leadership {
  readonly active: boolean;
  stop(): Promise<void>;
}

/**
 * One active instance per topic: every instance joins a group on a one-partition topic, and the
 * member the group gives that partition is the active one. When it stops (or dies and its
 * session times out), the group gives the partition to another member, which takes over.
 * `onChange` is called with each change, in order.
 */
export async function joinLeadership(
  kafka: Kafka,
  options: { topic: string; groupId: string; sessionTimeoutMs?: number },
  onChange: (active: boolean) => void,
): Promise<Leadership> {
  await ensureTopic(kafka, options.topic);
  const consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 10_000,
    heartbeatInterval: 1_000,
  });
  let active = false;
  const set = (next: boolean) => {
    if (next === active) return;
    active = next;
    onChange(next);
  };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    set((payload.memberAssignment[options.topic] ?? []).includes(0));
  });
  consumer.on(consumer.events.CRASH, () => set(false));
  await consumer.connect();
  await whileTopicUnknown(() => consumer.subscribe({ topic: options.topic }));
  await consumer.run({ eachMessage: async () => undefined });
  return {
    get active() {
      return active;
    },
    async stop() {
      await consumer.disconnect().catch(() => undefined);
      set(false);
    },
  };
}
