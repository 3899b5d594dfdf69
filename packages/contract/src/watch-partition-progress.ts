/** What the watch reads of a KafkaJS batch payload. */
export interface BatchPayloadLike {
  batch: { partition: number; messages: readonly { offset: string }[] };
}

export interface PartitionProgressOptions {
  /** Each partition's end offset now (a KafkaJS admin's `fetchTopicOffsets`, its `high`). */
  endOffsets: () => Promise<readonly { partition: number; high: string }[]>;
  /**
   * Called once, when an assigned partition had more than one message to read at two checks in a
   * row, no batch of it came between them, and no batch was being handled at either. The watch
   * stops then. (One is not enough: a transaction's commit marker takes an offset no batch shows.)
   */
  onStuck: (stuck: { partition: number; unread: number; idleMs: number }) => void;
  /** Between two checks. @default 30 000 ms */
  everyMs?: number;
  /**
   * Where the consumer starts a partition it has had no batch of (its group's committed offsets,
   * say; a negative offset: not known), so that a partition never read since the group gave it is
   * checked too. Asked only while such a partition has messages. @default such partitions are
   * checked from their first batch on
   */
  startOffsets?: () => Promise<readonly { partition: number; offset: string }[]>;
}

export interface PartitionProgressWatch {
  /** Where the consumer reads a partition from before any batch of it came (a seek, say). */
  expect(partition: number, offset: number): void;
  /**
   * The partitions the consumer was given (its group join): only those are checked. One given
   * anew after a rebalance is read from where the group left it, so what the watch knew of it goes.
   */
  assigned(partitions: readonly number[]): void;
  /** Wraps the consumer's batch handler: a batch is a sign of progress, its work never a stall. */
  eachBatch<P extends BatchPayloadLike>(
    handler: (payload: P) => Promise<void>,
  ): (payload: P) => Promise<void>;
  /** One check now (the timer's; tests call it). */
  check(): Promise<void>;
  start(): void;
  stop(): void;
}

/**
 * Notices a consumer that fetches but no longer reads a partition with messages in it.
 *
 * Why: a stall watch (`watchConsumerStall`) sees fetches starting and counts them as life. A
 * KafkaJS 2.2.4 consumer has been seen, after a leader election, caught up on every partition but
 * one, fetching every 500 ms, and never reading the messages written to that one again: no error,
 * no crash event, nothing a fetch or heartbeat count can see. Only the partition's end offset,
 * beside what the consumer has read, shows it. One `ListOffsets` request per check.
 */
export function watchPartitionProgress(options: PartitionProgressOptions): PartitionProgressWatch {
  const everyMs = options.everyMs ?? 30_000;
  /** The next offset to read, per partition: from the last batch, else from `expect`. */
  const next = new Map<number, number>();
  /** Batches seen, per partition: a change between two checks is progress. */
  const seen = new Map<number, number>();
  let partitions: readonly number[] | undefined;
  let working = 0;
  /** When the batches in hand began (none in hand: undefined), and the longest such stretch since the last check. */
  let busySince: number | undefined;
  let longestBusyMs = 0;
  let checking = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  /** What the last check found: per partition behind then, its batches seen by then and unread. */
  let last: { at: number; behind: Map<number, { batches: number; unread: number }> } | undefined;

  async function check(): Promise<void> {
    if (stopped || checking || !partitions) return;
    checking = true;
    try {
      // A batch in hand holds back its fetcher's other partitions: while one is, or while one
      // took a good part of the time since the last check, no partition's silence says anything.
      const busyMs = Math.max(longestBusyMs, busySince === undefined ? 0 : Date.now() - busySince);
      longestBusyMs = 0;
      if (working > 0 || busyMs > everyMs / 2) {
        last = undefined;
        return;
      }
      let ends: readonly { partition: number; high: string }[];
      try {
        ends = await options.endOffsets();
      } catch {
        // The brokers away: the stall watch and KafkaJS's own retries deal with that.
        last = undefined;
        return;
      }
      if (
        options.startOffsets &&
        ends.some(({ partition, high }) => Number(high) > 1 && unknown(partition))
      ) {
        try {
          for (const { partition, offset } of await options.startOffsets()) {
            if (unknown(partition) && Number(offset) >= 0) next.set(partition, Number(offset));
          }
        } catch {
          // Asked again at the next check; until then those partitions are not judged.
        }
      }
      if (stopped || working > 0) {
        last = undefined;
        return;
      }
      const behind = new Map<number, { batches: number; unread: number }>();
      for (const { partition, high } of ends) {
        const from = next.get(partition);
        if (from === undefined || !partitions.includes(partition)) continue;
        const unread = Number(high) - from;
        // More than one: a transaction's commit marker takes the last offset, and no batch shows it.
        if (unread > 1) behind.set(partition, { batches: seen.get(partition) ?? 0, unread });
      }
      const now = Date.now();
      if (last) {
        for (const [partition, { batches, unread }] of behind) {
          if (last.behind.get(partition)?.batches !== batches) continue;
          stop();
          options.onStuck({ partition, unread, idleMs: now - last.at });
          return;
        }
      }
      last = { at: now, behind };
    } finally {
      checking = false;
    }
  }

  /** Assigned, but neither a batch nor a start offset says where its reading is. */
  function unknown(partition: number): boolean {
    return !next.has(partition) && (partitions?.includes(partition) ?? false);
  }

  function stop(): void {
    stopped = true;
    clearInterval(timer);
  }

  return {
    expect(partition, offset) {
      if (!seen.has(partition)) next.set(partition, offset);
    },
    assigned(given) {
      if (partitions) {
        for (const partition of given) {
          if (partitions.includes(partition)) continue;
          next.delete(partition);
          seen.delete(partition);
        }
      }
      partitions = given;
      last = undefined;
    },
    eachBatch: (handler) => async (payload) => {
      if (working++ === 0) busySince = Date.now();
      try {
        await handler(payload);
      } finally {
        if (--working === 0 && busySince !== undefined) {
          longestBusyMs = Math.max(longestBusyMs, Date.now() - busySince);
          busySince = undefined;
        }
        const { partition, messages } = payload.batch;
        seen.set(partition, (seen.get(partition) ?? 0) + 1);
        const lastMessage = messages.at(-1);
        if (lastMessage)
          next.set(partition, Math.max(next.get(partition) ?? 0, Number(lastMessage.offset) + 1));
      }
    },
    check,
    start() {
      if (stopped || timer) return;
      timer = setInterval(() => void check(), everyMs);
      timer.unref();
    },
    stop,
  };
}
