import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createKeptEventQueue } from '../src/defer-kept-events.js';

/** What a capture does with the queue: goes through at once, or waits. */
function capture(queue: ReturnType<typeof createKeptEventQueue<number>>, n: number, processed: number[]) {
  if (queue.shouldDefer()) return queue.defer(n);
  processed.push(n);
  return true;
}

describe('createKeptEventQueue', () => {
  it('lets the first of a tick through, then processes the rest in order, a slice per turn', async () => {
    const processed: number[] = [];
    const queue = createKeptEventQueue<number>({
      max: 100,
      inlinePerTick: 3,
      slice: 4,
      process: (n) => processed.push(n),
    });
    for (let n = 0; n < 12; n++) capture(queue, n, processed);
    expect(processed).toEqual([0, 1, 2]);
    expect(queue.size).toBe(9);
    await nextTurn();
    expect(processed).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await nextTurn();
    expect(processed).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await nextTurn();
    expect(processed).toHaveLength(12);
    expect(queue.size).toBe(0);
    // A later tick gets its share again.
    capture(queue, 12, processed);
    expect(processed.at(-1)).toBe(12);
    queue.stop();
  });

  it('keeps capture order: while others wait, a new capture waits too', async () => {
    const processed: number[] = [];
    const queue = createKeptEventQueue<number>({
      max: 100,
      inlinePerTick: 1,
      slice: 1,
      process: (n) => processed.push(n),
    });
    for (let n = 0; n < 4; n++) capture(queue, n, processed);
    await nextTurn(); // the share is back, but 2 and 3 still wait
    capture(queue, 4, processed);
    expect(processed).toEqual([0, 1]);
    queue.drain();
    expect(processed).toEqual([0, 1, 2, 3, 4]);
    queue.stop();
  });

  it('refuses past its bound, and drain() and stop() process what waits at once', () => {
    const processed: number[] = [];
    const queue = createKeptEventQueue<number>({
      max: 2,
      inlinePerTick: 0,
      process: (n) => processed.push(n),
    });
    expect([0, 1, 2].map((n) => capture(queue, n, processed))).toEqual([true, true, false]);
    queue.drain();
    expect(processed).toEqual([0, 1]);
    capture(queue, 3, processed);
    queue.stop();
    expect(processed).toEqual([0, 1, 3]);
    // Stopped: nothing waits any more.
    expect(queue.shouldDefer()).toBe(false);
  });

  it('goes on past a capture that throws', async () => {
    const processed: number[] = [];
    const queue = createKeptEventQueue<number>({
      max: 10,
      inlinePerTick: 0,
      process: (n) => {
        if (n === 1) throw new Error('a broken capture');
        processed.push(n);
      },
    });
    for (let n = 0; n < 3; n++) capture(queue, n, processed);
    await nextTurn();
    expect(processed).toEqual([0, 2]);
    queue.stop();
  });
});
