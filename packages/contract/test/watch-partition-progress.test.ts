import { afterEach, describe, expect, it, vi } from 'vitest';
import { type BatchPayloadLike, watchPartitionProgress } from '../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A batch of `partition` whose messages are `from`..`to`. */
function batch(partition: number, from: number, to: number): BatchPayloadLike {
  const messages = [];
  for (let offset = from; offset <= to; offset++) messages.push({ offset: String(offset) });
  return { batch: { partition, messages } };
}

/** A watch over partitions 0 and 1 whose end offsets are `ends`, read from offset 0. */
function setUp(ends: Record<number, number>) {
  const stuck: { partition: number; unread: number; idleMs: number }[] = [];
  let refuse = false;
  const watch = watchPartitionProgress({
    everyMs: 1000,
    endOffsets: async () => {
      if (refuse) throw new Error('There is no leader for this topic-partition');
      return Object.entries(ends).map(([partition, high]) => ({
        partition: Number(partition),
        high: String(high),
      }));
    },
    onStuck: (s) => stuck.push(s),
  });
  watch.assigned([0, 1]);
  watch.expect(0, 0);
  watch.expect(1, 0);
  const handle = watch.eachBatch(async () => undefined);
  return { watch, stuck, handle, refuse: (on: boolean) => (refuse = on) };
}

describe('watchPartitionProgress', () => {
  it('calls onStuck once when a partition with messages to read got no batch between two checks', async () => {
    vi.useFakeTimers();
    const ends = { 0: 30, 1: 5 };
    const { watch, stuck, handle } = setUp(ends);
    await handle(batch(0, 0, 19));
    await handle(batch(1, 0, 4)); // partition 1 read to its end
    watch.start();
    await vi.advanceTimersByTimeAsync(1000); // first check: partition 0 has 10 unread
    expect(stuck).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000); // second: still 10, no batch of it since
    expect(stuck).toEqual([{ partition: 0, unread: 10, idleMs: 1000 }]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(stuck).toHaveLength(1); // once: the owner rebuilds
  });

  it('says nothing of a partition that is read, however far behind, or read to its end', async () => {
    const ends = { 0: 1000, 1: 5 };
    const { watch, stuck, handle } = setUp(ends);
    await handle(batch(1, 0, 4));
    for (let from = 0; from < 1000; from += 100) {
      await watch.check();
      await handle(batch(0, from, from + 99)); // a batch between every two checks
    }
    await watch.check();
    await watch.check();
    expect(stuck).toEqual([]);
  });

  it('checks from the offset the consumer was sent to, before any batch came', async () => {
    const { watch, stuck } = setUp({ 0: 50, 1: 0 });
    watch.expect(0, 40); // a seek: nothing came since
    await watch.check();
    await watch.check();
    expect(stuck).toEqual([{ partition: 0, unread: 10, idleMs: expect.any(Number) }]);
  });

  it('tells nothing while a batch is in hand, nor when one took half the time between two checks', async () => {
    vi.useFakeTimers();
    const { watch, stuck } = setUp({ 0: 30, 1: 5 });
    let finish: () => void = () => undefined;
    const slow = watch.eachBatch(() => new Promise<void>((resolve) => (finish = resolve)));
    // Partition 1's batch waits on a channel; partition 0, fetched by the same fetcher, waits on it.
    const inHand = slow(batch(1, 0, 4));
    await watch.check();
    await vi.advanceTimersByTimeAsync(1000);
    await watch.check();
    expect(stuck).toEqual([]);
    await vi.advanceTimersByTimeAsync(600);
    finish();
    await inHand;
    await watch.check(); // the batch took 1.6 s of the last second's check: no verdict
    await vi.advanceTimersByTimeAsync(1000);
    await watch.check(); // the first check with a clean interval behind it
    expect(stuck).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    await watch.check();
    expect(stuck).toEqual([{ partition: 0, unread: 30, idleMs: 1000 }]);
  });

  it('leaves alone a partition the consumer was not given, and a check the brokers did not answer', async () => {
    const { watch, stuck, refuse, handle } = setUp({ 0: 30, 1: 5 });
    await handle(batch(1, 0, 4));
    watch.assigned([1]); // partition 0 went to another member
    await watch.check();
    await watch.check();
    expect(stuck).toEqual([]);
    watch.assigned([0, 1]);
    watch.expect(0, 0); // given back: read from where the group left it
    await watch.check();
    refuse(true);
    await watch.check(); // no answer: the next verdict needs two answered checks again
    refuse(false);
    await watch.check();
    expect(stuck).toEqual([]);
    await watch.check();
    expect(stuck.map((s) => s.partition)).toEqual([0]);
  });

  it('forgets what it read of a partition another member had meanwhile', async () => {
    const ends = { 0: 5, 1: 5 };
    const { watch, stuck, handle } = setUp(ends);
    await handle(batch(0, 0, 4));
    await handle(batch(1, 0, 4));
    watch.assigned([1]); // partition 0 went to another member, which reads it on to 40
    ends[0] = 40;
    watch.assigned([0, 1]); // and back: the group's committed offset is 40, nothing to read
    await watch.check();
    await watch.check();
    expect(stuck).toEqual([]);
  });

  it('checks a partition never read since it was given from where its group would start it', async () => {
    const committed: Record<number, string> = { 0: '12', 1: '-1' };
    let asked = 0;
    const stuck: { partition: number; unread: number; idleMs: number }[] = [];
    const watch = watchPartitionProgress({
      endOffsets: async () => [
        { partition: 0, high: '30' },
        { partition: 1, high: '30' },
      ],
      startOffsets: async () => {
        asked++;
        return Object.entries(committed).map(([partition, offset]) => ({
          partition: Number(partition),
          offset,
        }));
      },
      onStuck: (s) => stuck.push(s),
    });
    watch.assigned([0, 1]);
    await watch.check();
    await watch.check();
    // Partition 0 from its committed 12; partition 1 never committed (-1): not judged, asked again.
    expect(stuck).toEqual([{ partition: 0, unread: 18, idleMs: expect.any(Number) }]);
    expect(asked).toBe(2);
  });

  it('asks for no start offsets once every partition with messages was read', async () => {
    let asked = 0;
    const watch = watchPartitionProgress({
      endOffsets: async () => [
        { partition: 0, high: '5' },
        { partition: 1, high: '0' },
      ],
      startOffsets: async () => {
        asked++;
        return [];
      },
      onStuck: () => undefined,
    });
    watch.assigned([0, 1]);
    await watch.eachBatch(async () => undefined)(batch(0, 0, 4));
    await watch.check();
    await watch.check();
    expect(asked).toBe(0); // partition 1 has none: nothing to start it from
  });

  it('calls nothing once stopped', async () => {
    const { watch, stuck } = setUp({ 0: 30, 1: 5 });
    await watch.check();
    watch.stop();
    await watch.check();
    expect(stuck).toEqual([]);
  });
});
