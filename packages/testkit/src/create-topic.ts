import { waitForTopicLeaders } from '@faultline/contract';
import { Kafka, logLevel } from 'kafkajs';
import { quietKafkaJsTimers } from './kafkajs-negative-timeout.js';

/**
 * Creates a topic and waits for its leaders (KafkaJS cannot subscribe to a topic that does not
 * exist yet). An existing topic is left as it is.
 */
export async function createTopic(
  brokers: string[],
  topic: string,
  partitions = 1,
  config: Record<string, string> = {},
): Promise<void> {
  quietKafkaJsTimers();
  const admin = new Kafka({
    brokers,
    clientId: 'faultline-testkit-admin',
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: partitions,
          configEntries: Object.entries(config).map(([name, value]) => ({ name, value })),
        },
      ],
      waitForLeaders: false,
    });
    await waitForTopicLeaders(admin, [topic]);
  } finally {
    await admin.disconnect();
  }
}
