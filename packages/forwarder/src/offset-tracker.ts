/**
 * Per partition, the offsets dispatched and which of them finished. Envelopes finish in any order
 * (many are in flight), but the committable offset only moves over the contiguous prefix of
 * finished ones, so a crash redelivers exactly what was unfinished: at least once.
 */
export interface OffsetTracker {
  /** Called in offset order as each message is dispatched. */
  begin(offset: string): void;
  finish(offset: string): void;
  /** The offset to commit (the next one to read), or undefined when nothing new is committable. */
  committable(): string | undefined;
  /** Messages dispatched and not yet finished. */
  readonly pending: number;
}

export function createOffsetTracker(): OffsetTracker {
  // Offsets in dispatch order; finished ones are marked in `done` until the prefix passes them.
  // Numbers, not BigInts: exact up to 2^53 messages in one partition, and cheaper per message.
  const queue: number[] = [];
  let head = 0;
  const done = new Set<number>();
  let next: number | undefined;
  let committed: number | undefined;

  return {
    begin(offset) {
      queue.push(Number(offset));
    },
    finish(offset) {
      done.add(Number(offset));
      while (head < queue.length && done.has(queue[head] as number)) {
        const o = queue[head] as number;
        done.delete(o);
        next = o + 1;
        head++;
      }
      // Compact now and then so the queue does not grow for ever.
      if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
    },
    committable() {
      if (next === undefined || next === committed) return undefined;
      committed = next;
      return String(next);
    },
    get pending() {
      return queue.length - head;
    },
  };
}
