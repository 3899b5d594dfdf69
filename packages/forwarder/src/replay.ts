import { restartUnlessStopped, whileTopicUnknown } from '@faultline/contract';
import type { Kafka } from 'kafkajs';
import type { DeliverEnvelope } from './deliver-envelope.js';
import { createInFlightWindow } from './in-flight-window.js';
import { replayRanges, replayTotal } from './replay-window.js';

export interface ReplayProgress {
  done: number;
  total: number;
  /** Envelopes per second so far. */
  rate: number;
  /** Seconds left at that rate. */
  etaSeconds: number;
}

export interface ReplayWindow {
  from: Date;
  to?: Date;
  /** Replay the dead-letter topic instead of the envelope topic. */
  deadLetters?: boolean;
  onProgress?: (progress: ReplayProgress) => void;
}

/**
 * Delivers again every envelope whose Kafka timestamp is in `[from, to)`, in a consumer group of
 * its own (the live group's offsets are untouched), through the same delivery as live traffic
 * and as many in flight. Resolves once every envelope of the window is finished.
 */
export async function replayWindow(deps: {
  kafka: Kafka;
  topic: string;
  groupId: string;
  maxInFlight: number;
  deliver: DeliverEnvelope;
  signal: AbortSignal;
  window: ReplayWindow;
}): Promise<ReplayProgress> {
  const { kafka, topic, window } = deps;
  const admin = kafka.admin();
  await admin.connect();
  let ranges: ReturnType<typeof replayRanges>;
  try {
    const highs = await admin.fetchTopicOffsets(topic);
    const starts = await admin.fetchTopicOffsetsByTimestamp(topic, window.from.getTime());
    const ends = window.to ? await admin.fetchTopicOffsetsByTimestamp(topic, window.to.getTime()) : undefined;
    ranges = replayRanges(starts, ends, highs);
  } finally {
    await admin.disconnect();
  }
  const progress: ReplayProgress = { done: 0, total: replayTotal(ranges), rate: 0, etaSeconds: 0 };
  if (progress.total === 0) return progress;

  let done = false;
  const consumer = kafka.consumer({
    groupId: `${deps.groupId}-replay-${Date.now()}`,
    maxWaitTimeInMs: 1000,
    retry: restartUnlessStopped(() => done),
  });
  const inFlight = createInFlightWindow(deps.maxInFlight, deps.maxInFlight);
  const started = Date.now();
  await consumer.connect();
  try {
    await whileTopicUnknown(() => consumer.subscribe({ topic, fromBeginning: true }));
    await new Promise<void>((resolve, reject) => {
      deps.signal.addEventListener('abort', () => resolve(), { once: true });
      // run() resolves once started: a crash KafkaJS will not restart from ends the replay here.
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      });
      const finished = () => {
        progress.done++;
        const seconds = (Date.now() - started) / 1000;
        progress.rate = progress.done / Math.max(seconds, 0.001);
        progress.etaSeconds = (progress.total - progress.done) / Math.max(progress.rate, 0.001);
        window.onProgress?.({ ...progress });
        if (progress.done === progress.total) resolve();
      };
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning }) => {
            const range = ranges.get(batch.partition);
            for (const message of batch.messages) {
              const offset = Number(message.offset);
              if (!isRunning() || deps.signal.aborted) return;
              if (!range || offset < range.start || offset >= range.end) {
                resolveOffset(message.offset);
                continue;
              }
              while (!(await inFlight.acquire(batch.partition, 1000)))
                await heartbeat().catch(() => undefined);
              resolveOffset(message.offset);
              deps.deliver({ topic, partition: batch.partition, message }, deps.signal).then((ok) => {
                inFlight.release(batch.partition);
                if (ok) finished();
              });
            }
          },
        })
        .then(() => {
          for (const [partition, { start }] of ranges)
            consumer.seek({ topic, partition, offset: String(start) });
        }, reject);
    });
    await inFlight.drained(30_000);
  } finally {
    done = true;
    await consumer.disconnect();
  }
  return progress;
}
