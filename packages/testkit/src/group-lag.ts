import { Kafka, logLevel } from 'kafkajs';
import { quietKafkaJsTimers } from './kafkajs-negative-timeout.js';

/** How far a consumer group's committed offsets are behind the end of `topic`, over all partitions. */
export async function groupLag(brokers: string[], groupId: string, topic: string): Promise<number> {
  quietKafkaJsTimers();
  const admin = new Kafka({ brokers, clientId: 'faultline-testkit-lag', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    let lag = 0;
    for (const { partition, high } of ends) {
      const at = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
      lag += Number(high) - Math.max(0, Number(at));
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}
