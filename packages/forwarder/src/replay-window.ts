/** Offsets of one partition, as KafkaJS's admin returns them (strings). */
export interface PartitionOffset {
  partition: number;
  offset: string;
}

/** What to replay of one partition: offsets in `[start, end)`. */
export interface ReplayRange {
  start: number;
  end: number;
}

/**
 * The offsets a time window covers, per partition. `starts` and `ends` are the first offsets at
 * or after the window's start and end times (`fetchTopicOffsetsByTimestamp`), where -1 means "no
 * message at or after that time", i.e. the high watermark. With no end time, `ends` is undefined
 * and the window runs to the high watermark. Partitions with nothing in the window are left out.
 */
export function replayRanges(
  starts: readonly PartitionOffset[],
  ends: readonly PartitionOffset[] | undefined,
  highWatermarks: readonly { partition: number; high: string }[],
): Map<number, ReplayRange> {
  const highs = new Map(highWatermarks.map((o) => [o.partition, Number(o.high)]));
  const resolve = (partition: number, offset: string) =>
    Number(offset) < 0 ? (highs.get(partition) ?? 0) : Number(offset);
  const ranges = new Map<number, ReplayRange>();
  for (const { partition, offset } of starts) {
    const start = resolve(partition, offset);
    const endOffset = ends ? ends.find((e) => e.partition === partition)?.offset : undefined;
    const end = ends
      ? endOffset === undefined
        ? start
        : resolve(partition, endOffset)
      : (highs.get(partition) ?? start);
    if (end > start) ranges.set(partition, { start, end });
  }
  return ranges;
}

/** Envelopes in all ranges together. */
export function replayTotal(ranges: Map<number, ReplayRange>): number {
  let total = 0;
  for (const { start, end } of ranges.values()) total += end - start;
  return total;
}
