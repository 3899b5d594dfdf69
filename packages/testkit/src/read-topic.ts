import { whileTopicUnknown } from '@faultline/contract';
import { Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { createTopic } from './create-topic.js';
import { quietKafkaJsTimers } from './kafkajs-negative-timeout.js';
import { uniqueName } from './unique-name.js';

/**
 * Reads a topic from the beginning, in a group of its own, until `done(messages)` is true or
 * `timeoutMs` (default 30 000) passes, and returns what it read. Rejects on timeout with how
 * many messages it had, so a test fails with a number instead of hanging.
 */
export async function readTopic(
  brokers: string[],
  topic: string,
  done: (messages: KafkaMessage[]) => boolean,
  timeoutMs = 30_000,
): Promise<KafkaMessage[]> {
  quietKafkaJsTimers();
  const kafka = new Kafka({ brokers, clientId: 'faultline-testkit-reader', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
  const messages: KafkaMessage[] = [];
  try {
    await createTopic(brokers, topic);
    await consumer.connect();
    await whileTopicUnknown(() => consumer.subscribe({ topic, fromBeginning: true }));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`read ${messages.length} message(s) from ${topic} in ${timeoutMs} ms; wanted more`),
          ),
        timeoutMs,
      );
      const check = () => {
        if (done(messages)) {
          clearTimeout(timer);
          resolve();
        }
      };
      check();
      void consumer.run({
        eachMessage: async ({ message }) => {
          messages.push(message);
          check();
        },
      });
    });
    return messages;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
