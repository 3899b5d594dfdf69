/** Seeks back to one offset before a batch past it is taken as a real gap (a seek can be lost too). */
export const SEEKS_BEFORE_GAP = 3;

/** What to do with a batch: count its messages from index `from` on, or seek and count none. */
export type BatchPlan = { from: number } | { seek: number };

export interface CountOnce {
  /** Where the run starts reading a partition (its lookback start); a negative offset: not known. */
  start(partition: number, offset: number): void;
  /**
   * For a batch of `partition` with these offsets, in order: which messages to count. Those before
   * the next offset to count were counted already. A batch that starts past it would skip some:
   * the caller seeks back there and counts nothing of it. A batch that still starts past it after
   * `SEEKS_BEFORE_GAP` such seeks shows that the offsets between hold no message to read
   * (transaction markers, messages retention deleted): it is counted.
   */
  plan(partition: number, offsets: readonly { offset: string }[]): BatchPlan;
  /** The batch's messages up to `offset` were counted. */
  counted(partition: number, offset: string): void;
}

/**
 * Each offset of each partition counted once by a run, from the lookback start on, none skipped.
 *
 * Why: KafkaJS can read a partition from elsewhere than where the run sent it. It takes a seek
 * off its list before committing it, so a commit that fails (the group's coordinator moving, as
 * in a leader election) loses the seek; after a crash it restarts from the committed offsets;
 * a rebalance does the same. Counted as they come, the messages read again would count twice
 * in the rules' windows and the ones skipped not at all: alerts on false volume.
 */
export function createCountOnce(): CountOnce {
  /** The next offset to count, per partition. */
  const next = new Map<number, number>();
  /** Seeks back made per partition, to the offset they were made to. */
  const sought = new Map<number, { offset: number; times: number }>();
  return {
    start(partition, offset) {
      if (offset >= 0) next.set(partition, offset);
    },
    plan(partition, offsets) {
      const expected = next.get(partition);
      const first = offsets[0];
      if (expected === undefined || !first) return { from: 0 };
      const firstOffset = Number(first.offset);
      if (firstOffset > expected) {
        const before = sought.get(partition);
        const times = before?.offset === expected ? before.times : 0;
        if (times < SEEKS_BEFORE_GAP) {
          sought.set(partition, { offset: expected, times: times + 1 });
          return { seek: expected };
        }
        return { from: 0 };
      }
      let from = 0;
      while (from < offsets.length && Number(offsets[from]?.offset) < expected) from++;
      return { from };
    },
    counted(partition, offset) {
      next.set(partition, Number(offset) + 1);
    },
  };
}
