import type { Consumer } from 'kafkajs';

/** Partitions whose last lag is remembered at most; beyond it the memory starts over. */
const PARTITIONS_LIMIT = 10_000;

/**
 * The consumer lag KafkaJS reports when it ends a batch (`END_BATCH_PROCESS`: messages between the
 * partition's high watermark and the batch's last offset), handed once to the next span started on
 * that partition: one lag sample per batch, on the span that follows it.
 */
export function trackBatchLag(consumer: Consumer): {
  take(topic: string, partition: number): number | undefined;
} {
  const pending = new Map<string, number>();
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    const lag = Number(e.payload.offsetLag);
    if (!Number.isFinite(lag)) return;
    if (pending.size >= PARTITIONS_LIMIT) pending.clear();
    pending.set(`${e.payload.topic}:${e.payload.partition}`, lag);
  });
  return {
    take(topic, partition) {
      // Most messages find nothing to take: no key to build then.
      if (pending.size === 0) return undefined;
      const key = `${topic}:${partition}`;
      const lag = pending.get(key);
      if (lag !== undefined) pending.delete(key);
      return lag;
    },
  };
}
