import type { Kafka } from 'kafkajs';

/**
 * Where the rules' windows are rebuilt from: each partition's first offset at or after `since`,
 * and, for partitions with something to read, the end offset that counts as caught up.
 */
export async function lookbackOffsets(
  kafka: Kafka,
  topic: string,
  since: number,
): Promise<{ starts: { partition: number; offset: string }[]; pending: Map<number, number> }> {
  const admin = kafka.admin();
  await admin.connect();
  const [starts, ends] = await Promise.all([
    admin.fetchTopicOffsetsByTimestamp(topic, since),
    admin.fetchTopicOffsets(topic),
  ]).finally(() => admin.disconnect());
  const pending = new Map<number, number>();
  for (const { partition, high } of ends) {
    const start = Number(starts.find((s) => s.partition === partition)?.offset ?? high);
    if (start < Number(high)) pending.set(partition, Number(high));
  }
  return { starts, pending };
}
