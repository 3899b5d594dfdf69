import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { DeliverEnvelope, DeliverySlot } from './deliver-envelope.js';
import type { InFlightWindow } from './in-flight-window.js';
import type { Logger } from './logger.js';
import type { ForwarderMetrics } from './metrics.js';
import { createOffsetTracker, type OffsetTracker } from './offset-tracker.js';

/** How often a batch being dispatched heartbeats (KafkaJS sends one per its heartbeatInterval at most). */
const HEARTBEAT_EVERY_MS = 500;

export interface DeliveryLoop {
  /** KafkaJS `eachBatch`: dispatches each message into the window, without waiting for it. */
  eachBatch(payload: EachBatchPayload): Promise<void>;
  /** The group was (re)joined: offsets are read from the committed ones again. */
  rejoined(): void;
  /** Commits every partition's finished prefix now. */
  commit(): Promise<void>;
  stop(): void;
}

/**
 * The pipelined consumer: many envelopes in flight at once (Sentry needs no order between
 * envelopes), bounded by the in-flight window. KafkaJS's read position moves as messages are
 * dispatched; the committed offset moves only over the contiguous prefix of finished ones, every
 * `commitEveryMs`, so a crash redelivers just what was unfinished.
 */
export function createDeliveryLoop(deps: {
  consumer: Consumer;
  window: InFlightWindow;
  deliver: DeliverEnvelope;
  signal: AbortSignal;
  figures: ForwarderMetrics;
  logger: Logger;
  commitEveryMs?: number;
}): DeliveryLoop {
  // Trackers of the current group generation. After a rebalance KafkaJS reads again from the
  // committed offsets, so envelopes finishing from before it must not move the new trackers.
  let trackers = new Map<string, { topic: string; partition: number; tracker: OffsetTracker }>();
  let committing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => void commit(), deps.commitEveryMs ?? 500);
  timer.unref();

  function commit(): Promise<void> {
    committing = committing.then(async () => {
      const offsets = [];
      for (const { topic, partition, tracker } of trackers.values()) {
        const offset = tracker.committable();
        if (offset !== undefined) offsets.push({ topic, partition, offset });
      }
      if (offsets.length === 0) return;
      try {
        await deps.consumer.commitOffsets(offsets);
      } catch (error) {
        // A rebalance or a broker away: what was not committed is delivered again, at least once.
        deps.logger.debug('offset commit failed', { error: (error as Error).message });
      }
    });
    return committing;
  }

  return {
    async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }) {
      const { topic, partition } = batch;
      const key = `${topic}/${partition}`;
      let entry = trackers.get(key);
      if (!entry) {
        entry = { topic, partition, tracker: createOffsetTracker() };
        trackers.set(key, entry);
      }
      const { tracker } = entry;
      const generation = trackers;
      const halted = () => !isRunning() || isStale() || deps.signal.aborted;
      // Heartbeats go out from inside the batch, at least every HEARTBEAT_EVERY_MS: a batch takes
      // seconds to dispatch at an ingest's pace, and KafkaJS learns of a rebalance only from a
      // heartbeat. A failed one (the group is rebalancing, or its coordinator is away) ends the
      // batch at once, so this member rejoins instead of holding partitions another member
      // waits for; what was not dispatched is fetched again from the resolved offsets.
      let beatAt = performance.now();
      const beat = async (): Promise<boolean> => {
        beatAt = performance.now();
        try {
          await heartbeat();
          return true;
        } catch {
          return false;
        }
      };
      for (const message of batch.messages) {
        // Wait for room, heartbeating so the group keeps this partition while the ingest is slow.
        // Room is taken without a promise when there is some: the usual case, once per message.
        if (!deps.window.tryAcquire(partition)) {
          while (!(await deps.window.acquire(partition, 1000))) {
            if (halted() || !(await beat())) return;
          }
        }
        if (halted() || (performance.now() - beatAt >= HEARTBEAT_EVERY_MS && !(await beat()))) {
          deps.window.release(partition);
          return;
        }
        tracker.begin(message.offset);
        resolveOffset(message.offset);
        deps.figures.inFlight = deps.window.size;
        const slot = parkableSlot(deps.window, partition);
        deps.deliver({ topic, partition, message }, deps.signal, slot).then(
          (finished) => {
            deps.window.release(partition, slot.parked);
            deps.figures.inFlight = deps.window.size;
            if (finished && generation === trackers) tracker.finish(message.offset);
          },
          (error: Error) => {
            // deliver never rejects; if it did, the message stays uncommitted and is redelivered.
            deps.window.release(partition, slot.parked);
            deps.logger.error('delivery failed unexpectedly', { error: error.message });
          },
        );
      }
      const lag = Number(batch.offsetLag());
      if (Number.isFinite(lag)) deps.figures.lag[key] = lag;
    },
    rejoined() {
      trackers = new Map();
    },
    commit,
    stop() {
      clearInterval(timer);
    },
  };
}

/** An envelope's slot in the window, parked while it waits (when the window has room for that). */
export function parkableSlot(window: InFlightWindow, partition: number): DeliverySlot & { parked: boolean } {
  return {
    parked: false,
    park() {
      if (!this.parked && window.park(partition)) this.parked = true;
    },
    async resume() {
      if (!this.parked) return;
      await window.resume(partition);
      this.parked = false;
    },
  };
}
