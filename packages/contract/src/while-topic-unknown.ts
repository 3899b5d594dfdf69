/** Metadata answers that mean "created, not known everywhere yet". */
const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/** Whether `error` is a broker saying a topic is not known to it (yet). */
export function isTopicNotKnownYet(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' && NOT_YET.has(type);
}

/**
 * Runs `attempt` (a KafkaJS `consumer.subscribe`, say) again while a broker answers that the topic
 * is unknown, up to `timeoutMs`. In a cluster of several brokers a topic created a moment ago is
 * known to some before others, and KafkaJS asks whichever it is connected to: without this, a
 * consumer started just after its topic was created fails start-up for nothing.
 */
export async function whileTopicUnknown<T>(attempt: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(1000, delay * 2)) {
    try {
      return await attempt();
    } catch (error) {
      if (!isTopicNotKnownYet(error) || Date.now() + delay > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
