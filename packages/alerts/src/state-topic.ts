import { restartUnlessStopped, stoppedConsumerError, whileTopicUnknown } from '@faultline/contract';
import type { Kafka } from 'kafkajs';
import { ensureTopic } from './ensure-topic.js';
import type { EpisodeBook, EpisodeRecord } from './episode-book.js';

/**
 * The open and recently closed episodes, one record per subject in a compacted topic: small
 * (a few bytes per alert), and enough for a new instance to know what was already sent.
 */
export function ensureStateTopic(kafka: Kafka, topic: string): Promise<void> {
  return ensureTopic(kafka, topic, [{ name: 'cleanup.policy', value: 'compact' }]);
}

/** Reads the state topic from its start to its current end into the book; resolves with the count. */
export async function restoreEpisodes(kafka: Kafka, topic: string, book: EpisodeBook): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const pending = new Map(
    ends.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]),
  );
  if (pending.size === 0) return 0;
  // A group of its own each time: KafkaJS reads a topic whole only through a group.
  let done = false;
  const consumer = kafka.consumer({
    groupId: `faultline-alerts-state-${process.pid}-${Date.now()}`,
    retry: restartUnlessStopped(() => done),
  });
  let restored = 0;
  await consumer.connect();
  try {
    await whileTopicUnknown(() => consumer.subscribe({ topic, fromBeginning: true }));
    await new Promise<void>((resolve, reject) => {
      // run() resolves once started; a crash KafkaJS will not restart from is only an event, and
      // without this the restore (and the activation waiting for it) would wait for good.
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      });
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            if (done) throw stoppedConsumerError();
            const key = message.key?.toString();
            if (key && message.value) {
              book.restore(key, JSON.parse(message.value.toString('utf8')) as EpisodeRecord);
              restored++;
            }
            if (Number(message.offset) + 1 >= (pending.get(partition) ?? 0)) pending.delete(partition);
            if (pending.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    done = true;
    await consumer.disconnect();
  }
  return restored;
}
