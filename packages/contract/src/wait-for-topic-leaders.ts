import { FaultlineError } from './faultline-error.js';
import { isTopicNotKnownYet, whileTopicUnknown } from './while-topic-unknown.js';

/** The part of a KafkaJS admin client this needs (structural, so contract does not import kafkajs). */
export interface TopicMetadataSource {
  fetchTopicMetadata(options: { topics: string[] }): Promise<{
    topics: { name: string; partitions: { leader: number }[] }[];
  }>;
}

/**
 * Waits until every partition of `topics` has a leader in the metadata clients read. Use it after
 * `createTopics({ waitForLeaders: false })`: KafkaJS's own wait retries only
 * `LEADER_NOT_AVAILABLE`, and in a cluster of several brokers the one it asks may not know a topic
 * created a moment ago (`UNKNOWN_TOPIC_OR_PARTITION`), which fails start-up for nothing. Throws
 * after `timeoutMs` with the last answer.
 */
export async function waitForTopicLeaders(
  admin: TopicMetadataSource,
  topics: string[],
  timeoutMs = 30_000,
): Promise<void> {
  try {
    // The same retries as for a topic not known yet; a topic known but not led is one more case.
    await whileTopicUnknown(async () => {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      const led = topics.every((name) => {
        const partitions = found.find((t) => t.name === name)?.partitions ?? [];
        return partitions.length > 0 && partitions.every((p) => p.leader >= 0);
      });
      if (!led) throw Object.assign(new Error(NO_LEADER_YET), { type: 'LEADER_NOT_AVAILABLE' });
    }, timeoutMs);
  } catch (error) {
    if (!isTopicNotKnownYet(error)) throw error;
    const last =
      (error as Error).message === NO_LEADER_YET ? NO_LEADER_YET : (error as { type: string }).type;
    throw new FaultlineError(
      'FAULTLINE_KAFKA_TOPICS',
      `topics ${topics.join(', ')} have no leader after ${timeoutMs} ms (${last})`,
    );
  }
}

const NO_LEADER_YET = 'no leader yet';
