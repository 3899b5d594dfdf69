import { waitForTopicLeaders } from '@faultline/contract';
import type { Kafka } from 'kafkajs';

/**
 * Creates a one-partition topic of the service's own unless it exists (KafkaJS answers `false`
 * then, so instances starting together do not trip over each other), and waits until it has a
 * leader everywhere (see waitForTopicLeaders).
 */
export async function ensureTopic(
  kafka: Kafka,
  topic: string,
  configEntries: { name: string; value: string }[] = [],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries }], waitForLeaders: false });
    await waitForTopicLeaders(admin, [topic]);
  } finally {
    await admin.disconnect();
  }
}
