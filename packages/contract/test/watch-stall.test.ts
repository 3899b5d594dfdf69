import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { watchConsumerStall, watchStall } from '../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('watchStall', () => {
  it('calls onStall once when no sign of life came for stallAfterMs', () => {
    vi.useFakeTimers();
    const stalls: number[] = [];
    const watch = watchStall({ stallAfterMs: 1000, onStall: (idleMs) => stalls.push(idleMs) });
    vi.advanceTimersByTime(750);
    watch.alive(); // a fetch started
    vi.advanceTimersByTime(750);
    expect(stalls).toEqual([]);
    vi.advanceTimersByTime(500);
    expect(stalls).toHaveLength(1);
    expect(stalls[0]).toBeGreaterThanOrEqual(1000);
    vi.advanceTimersByTime(10_000);
    expect(stalls).toHaveLength(1); // once: the owner rebuilds
    watch.stop();
  });

  it("never counts the owner's own work, however long, and counts from its end", async () => {
    vi.useFakeTimers();
    const stalls: number[] = [];
    const watch = watchStall({ stallAfterMs: 1000, onStall: (idleMs) => stalls.push(idleMs) });
    let finish: () => void = () => undefined;
    const work = watch.busy(() => new Promise<void>((resolve) => (finish = resolve)));
    vi.advanceTimersByTime(5000);
    expect(stalls).toEqual([]);
    finish();
    await work;
    vi.advanceTimersByTime(750);
    expect(stalls).toEqual([]);
    vi.advanceTimersByTime(500);
    expect(stalls).toHaveLength(1);
    watch.stop();
  });

  it('counts work that failed as ended', async () => {
    vi.useFakeTimers();
    const stalls: number[] = [];
    const watch = watchStall({ stallAfterMs: 1000, onStall: (idleMs) => stalls.push(idleMs) });
    await expect(watch.busy(() => Promise.reject(new Error('batch failed')))).rejects.toThrow('batch failed');
    vi.advanceTimersByTime(1250);
    expect(stalls).toHaveLength(1);
    watch.stop();
  });

  it('is silent once stopped, and its timer does not hold the process', () => {
    vi.useFakeTimers();
    const stalls: number[] = [];
    const watch = watchStall({ stallAfterMs: 1000, onStall: (idleMs) => stalls.push(idleMs) });
    watch.stop();
    vi.advanceTimersByTime(5000);
    expect(stalls).toEqual([]);
    vi.useRealTimers();
    const spy = vi.spyOn(globalThis, 'setInterval');
    const held = watchStall({ stallAfterMs: 60_000, onStall: () => undefined });
    const timer = spy.mock.results[0]?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    held.stop();
    spy.mockRestore();
  });
});

describe('watchConsumerStall', () => {
  /** A consumer's event surface: the watch only needs `events` and `on`. */
  function consumerEvents() {
    const emitter = new EventEmitter();
    return Object.assign(emitter, {
      events: {
        FETCH_START: 'consumer.fetch_start',
        HEARTBEAT: 'consumer.heartbeat',
        GROUP_JOIN: 'consumer.group_join',
        CRASH: 'consumer.crash',
      },
    });
  }

  it('counts from start(), takes fetches, heartbeats, joins and the named events as life', () => {
    vi.useFakeTimers();
    const consumer = consumerEvents();
    const stalls: number[] = [];
    const watch = watchConsumerStall(consumer, {
      stallAfterMs: 1000,
      alsoAlive: [consumer.events.CRASH],
      onStall: (idleMs) => stalls.push(idleMs),
    });
    vi.advanceTimersByTime(5000); // waiting for its topic: not counted
    expect(stalls).toEqual([]);
    watch.start();
    for (const event of [
      'consumer.fetch_start',
      'consumer.heartbeat',
      'consumer.group_join',
      'consumer.crash',
    ]) {
      vi.advanceTimersByTime(750);
      consumer.emit(event, {});
    }
    vi.advanceTimersByTime(750);
    expect(stalls).toEqual([]);
    consumer.emit('consumer.end', {}); // not a sign of life
    vi.advanceTimersByTime(500);
    expect(stalls).toHaveLength(1);
    watch.stop();
  });

  it('counts a batch begun before start() as busy, and cannot start once stopped', async () => {
    vi.useFakeTimers();
    const consumer = consumerEvents();
    const stalls: number[] = [];
    const watch = watchConsumerStall(consumer, {
      stallAfterMs: 1000,
      onStall: (idleMs) => stalls.push(idleMs),
    });
    let finish: () => void = () => undefined;
    const seen: string[] = [];
    const eachBatch = watch.eachBatch(async (payload: string) => {
      seen.push(payload);
      await new Promise<void>((resolve) => (finish = resolve));
    });
    const batch = eachBatch('batch 1');
    watch.start();
    vi.advanceTimersByTime(5000);
    expect(stalls).toEqual([]);
    finish();
    await batch;
    expect(seen).toEqual(['batch 1']);
    vi.advanceTimersByTime(1250);
    expect(stalls).toHaveLength(1);

    const stopped = watchConsumerStall(consumer, {
      stallAfterMs: 1000,
      onStall: (idleMs) => stalls.push(idleMs),
    });
    stopped.stop();
    stopped.start();
    vi.advanceTimersByTime(5000);
    expect(stalls).toHaveLength(1);
  });
});
