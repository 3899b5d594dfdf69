import { untilDone, whileTopicUnknown } from '@faultline/contract';
import type { Consumer, EachBatchHandler, Kafka, Producer } from 'kafkajs';
import type { Logger } from './logger.js';
import { placeNewGroup, type StartFrom } from './place-new-group.js';
import { topicExists } from './topic-exists.js';

/**
 * The start-up sequence, each step waited for rather than failed: Kafka reachable and the topic
 * there, the dead-letter producer connected, the group joined; then the pipelined loop runs.
 * Resolves true once consuming, false when `signal` aborted first.
 */
export async function startConsuming(deps: {
  kafka: Kafka;
  producer: Producer;
  consumer: Consumer;
  topic: string;
  groupId: string;
  startFrom: StartFrom;
  concurrency: number;
  /** The pipelined loop's handler. */
  eachBatch: EachBatchHandler;
  logger: Logger;
  signal: AbortSignal;
}): Promise<boolean> {
  const { kafka, producer, consumer, topic } = deps;
  const admin = kafka.admin();
  const waiting = {
    logger: deps.logger,
    signal: deps.signal,
    // A stop during an attempt ends the wait at once; what the attempt connects after it is closed
    // when it settles (the stop itself has closed the producer and the consumer already).
    closeAbandoned: () => Promise.all([admin.disconnect(), producer.disconnect(), consumer.disconnect()]),
  };
  const ready = await untilDone(
    `waiting for Kafka and topic ${topic}`,
    async () => {
      await admin.connect();
      await topicExists(admin, topic);
    },
    waiting,
  );
  // Placing a new group is a courtesy: if it fails (another instance joined first), start anyway.
  if (ready) {
    await placeNewGroup({
      admin,
      groupId: deps.groupId,
      topic,
      startFrom: deps.startFrom,
      logger: deps.logger,
    }).catch((error: Error) =>
      deps.logger.warn('could not place the new consumer group', { reason: error.message }),
    );
  }
  await admin.disconnect().catch(() => undefined);
  if (!ready) return false;
  if (!(await untilDone('connecting the dead-letter producer', () => producer.connect(), waiting)))
    return false;
  const subscribed = await untilDone(
    'joining the consumer group',
    async () => {
      await consumer.connect();
      await whileTopicUnknown(() =>
        consumer.subscribe({ topic, fromBeginning: deps.startFrom !== 'latest' }),
      );
    },
    waiting,
  );
  if (!subscribed) return false;
  await consumer.run({
    // Offsets are committed by the loop, over the contiguous prefix of finished envelopes.
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: deps.concurrency,
    eachBatch: deps.eachBatch,
  });
  return true;
}
