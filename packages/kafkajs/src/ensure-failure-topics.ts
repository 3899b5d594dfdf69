import { FaultlineError, waitForTopicLeaders } from '@faultline/contract';
import type { Admin } from 'kafkajs';
import { deadLetterTopicOf, type RetryTopicsPolicy, retryTopicFor } from './handle-failure.js';

/**
 * Makes sure the failure topics a subscription needs exist before KafkaJS subscribes (it refuses
 * a topic that does not exist): for a source topic, its retry and dead-letter topics; for a retry
 * topic subscribed by name (`orders.retry`), that topic. Missing ones are created with the source
 * topic's partition count. When some are missing and cannot be created (no CreateTopics right, a
 * cluster that forbids it), throws one error that names them and says what to do, so the service
 * fails at start-up instead of when the first message fails. Returns the topics it created.
 */
export async function ensureFailureTopics(
  admin: Admin,
  subscribed: string[],
  policy: RetryTopicsPolicy,
): Promise<string[]> {
  const isRetryTopic = (topic: string) =>
    policy.retryTopic === undefined ? topic.endsWith('.retry') : topic === policy.retryTopic;
  const needs = new Map<string, string>(); // failure topic -> the source whose partitions it copies
  for (const topic of subscribed) {
    if (isRetryTopic(topic)) {
      needs.set(topic, policy.retryTopic === undefined ? topic.slice(0, -'.retry'.length) : topic);
    } else {
      needs.set(retryTopicFor(policy, topic), topic);
      needs.set(deadLetterTopicOf(policy, topic), topic);
    }
  }
  const existing = new Set(await admin.listTopics());
  const missing = [...needs].filter(([topic]) => !existing.has(topic));
  if (missing.length === 0) return [];
  const sources = [...new Set(missing.map(([, source]) => source))].filter((t) => existing.has(t));
  const partitionsOf = new Map<string, number>();
  if (sources.length > 0) {
    const { topics } = await admin.fetchTopicMetadata({ topics: sources });
    for (const topic of topics) partitionsOf.set(topic.name, topic.partitions.length);
  }
  try {
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map(([topic, source]) => ({ topic, numPartitions: partitionsOf.get(source) ?? 1 })),
    });
    await waitForTopicLeaders(
      admin,
      missing.map(([topic]) => topic),
    );
  } catch (error) {
    // Another member may have created them meanwhile: only what is still missing counts.
    const now = new Set(await admin.listTopics().catch(() => [] as string[]));
    const still = missing.map(([topic]) => topic).filter((topic) => !now.has(topic));
    if (still.length > 0) {
      const one = still.length === 1;
      throw new FaultlineError(
        'FAULTLINE_KAFKA_TOPICS',
        `retry-topics: ${still.join(', ')} ${one ? 'does' : 'do'} not exist and could not be created (${(error as Error).message}); create ${one ? 'it' : 'them'}, or let this client create topics`,
        { cause: error },
      );
    }
  }
  return missing.map(([topic]) => topic);
}
