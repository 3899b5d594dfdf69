import type { Admin } from 'kafkajs';
import type { Logger } from './logger.js';

/** Where a consumer group with no committed offsets starts reading the topic. */
export type StartFrom = 'earliest' | 'latest' | Date;

const HOUR_MS = 3_600_000;

/**
 * Places a group that has never committed on the topic: at a time (each partition's first offset
 * at or after it), or says how much a start at the earliest offset will send again. A group that
 * has committed is left alone: its offsets are where it stopped. (`latest` and `earliest` are
 * KafkaJS's `fromBeginning`, which the caller passes to `subscribe`.)
 */
export async function placeNewGroup(deps: {
  admin: Admin;
  groupId: string;
  topic: string;
  startFrom: StartFrom;
  logger: Logger;
  now?: number;
}): Promise<void> {
  const { admin, groupId, topic, startFrom, logger } = deps;
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  if ((committed?.partitions ?? []).some((p) => Number(p.offset) >= 0)) return;
  if (startFrom instanceof Date) {
    const partitions = await admin.fetchTopicOffsetsByTimestamp(topic, startFrom.getTime());
    await admin.setOffsets({ groupId, topic, partitions });
    logger.info('new consumer group placed at a time', {
      groupId,
      topic,
      startFrom: startFrom.toISOString(),
    });
    return;
  }
  if (startFrom === 'latest') return;
  const hourAgo = (deps.now ?? Date.now()) - HOUR_MS;
  const [low, atHourAgo] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchTopicOffsetsByTimestamp(topic, hourAgo),
  ]);
  let older = 0;
  for (const { partition, offset } of atHourAgo) {
    const first = Number(low.find((p) => p.partition === partition)?.low ?? offset);
    older += Math.max(0, Number(offset) - first);
  }
  if (older > 0) {
    logger.warn(
      `new consumer group ${groupId} starts at the earliest offset of ${topic}: it will deliver ${older} envelopes older than an hour again; set --start-from latest or a time to skip them`,
      { groupId, topic, olderThanAnHour: older },
    );
  }
}
