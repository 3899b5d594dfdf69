import { describe, expect, it } from 'vitest';
import { createInFlightWindow } from '../src/in-flight-window.js';
import { classifyResponse, createOffsetTracker, replayRanges, replayTotal } from '../src/index.js';
import { createRecentIds } from '../src/recent-ids.js';

describe('createOffsetTracker', () => {
  it('commits only the contiguous prefix of finished offsets', () => {
    const tracker = createOffsetTracker();
    for (const offset of ['10', '11', '12', '13']) tracker.begin(offset);
    tracker.finish('12');
    tracker.finish('11');
    expect(tracker.committable()).toBeUndefined(); // 10 is still in flight
    tracker.finish('10');
    expect(tracker.committable()).toBe('13'); // 10, 11, 12 done: the next to read is 13
    expect(tracker.committable()).toBeUndefined(); // nothing new
    expect(tracker.pending).toBe(1);
    tracker.finish('13');
    expect(tracker.committable()).toBe('14');
  });

  it('stays correct over many offsets finished out of order', () => {
    const tracker = createOffsetTracker();
    const n = 5000;
    for (let i = 0; i < n; i++) tracker.begin(String(i));
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => ((a * 7919) % n) - ((b * 7919) % n));
    let last: string | undefined;
    for (const i of order) {
      tracker.finish(String(i));
      last = tracker.committable() ?? last;
    }
    expect(last).toBe(String(n));
    expect(tracker.pending).toBe(0);
  });
});

describe('replayRanges', () => {
  const highs = [
    { partition: 0, high: '10' },
    { partition: 1, high: '7' },
  ];
  it('covers [start, end) per partition, -1 meaning the high watermark', () => {
    const ranges = replayRanges(
      [
        { partition: 0, offset: '3' },
        { partition: 1, offset: '-1' },
      ],
      [
        { partition: 0, offset: '8' },
        { partition: 1, offset: '-1' },
      ],
      highs,
    );
    expect([...ranges]).toEqual([[0, { start: 3, end: 8 }]]);
    expect(replayTotal(ranges)).toBe(5);
  });
  it('runs to the high watermark without an end time', () => {
    const ranges = replayRanges(
      [
        { partition: 0, offset: '3' },
        { partition: 1, offset: '0' },
      ],
      undefined,
      highs,
    );
    expect(ranges.get(0)).toEqual({ start: 3, end: 10 });
    expect(ranges.get(1)).toEqual({ start: 0, end: 7 });
    expect(replayTotal(ranges)).toBe(14);
  });
  it('leaves out a start after the end', () => {
    expect(replayRanges([{ partition: 0, offset: '9' }], [{ partition: 0, offset: '4' }], highs).size).toBe(
      0,
    );
  });
});

describe('classifyResponse', () => {
  it('reads answers as Relay and the SDK do', () => {
    expect(classifyResponse(200)).toBe('delivered');
    expect(classifyResponse(202)).toBe('delivered');
    expect(classifyResponse(429)).toBe('rate_limited');
    expect(classifyResponse(503)).toBe('retry');
    expect(classifyResponse(408)).toBe('retry');
    expect(classifyResponse(undefined)).toBe('retry');
    expect(classifyResponse(400)).toBe('rejected');
    expect(classifyResponse(413)).toBe('rejected');
    expect(classifyResponse(403)).toBe('rejected');
  });
});

describe('createInFlightWindow', () => {
  it('bounds the total and each partition, and hands slots to waiters in order', async () => {
    const window = createInFlightWindow(3, 2);
    expect(await window.acquire(0, 10)).toBe(true);
    expect(await window.acquire(0, 10)).toBe(true);
    expect(await window.acquire(0, 10)).toBe(false); // partition share full
    expect(await window.acquire(1, 10)).toBe(true);
    expect(await window.acquire(2, 10)).toBe(false); // total full
    expect(window.tryAcquire(2)).toBe(false); // total full, without waiting
    const waiting = window.acquire(2, 1000);
    window.release(0);
    expect(await waiting).toBe(true);
    expect(window.size).toBe(3);
  });

  it('takes a slot without a promise only when acquire would grant it at once', async () => {
    const window = createInFlightWindow(4, 2);
    expect(window.tryAcquire(0)).toBe(true);
    expect(window.tryAcquire(0)).toBe(true);
    expect(window.tryAcquire(0)).toBe(false); // partition share full
    const queued = window.acquire(0, 1000);
    // Partition 1 has room, but an envelope waits: taking a slot now would jump the queue.
    expect(window.tryAcquire(1)).toBe(false);
    window.release(0);
    expect(await queued).toBe(true);
    expect(window.tryAcquire(1)).toBe(true);
    expect(window.size).toBe(3);
  });

  it('lets a partition use the whole window when it is the only one the instance holds', async () => {
    const window = createInFlightWindow(4, 2);
    window.assigned(1);
    for (let i = 0; i < 4; i++) expect(await window.acquire(0, 10)).toBe(true);
    expect(await window.acquire(0, 10)).toBe(false); // the total still bounds it
    for (let i = 0; i < 4; i++) window.release(0);
    window.assigned(3); // ceil(4 / 3) = 2: the configured share again
    expect(await window.acquire(0, 10)).toBe(true);
    expect(await window.acquire(0, 10)).toBe(true);
    expect(await window.acquire(0, 10)).toBe(false);
  });

  it('lets a waiting retry give its slot to the next envelope, and take one back first', async () => {
    const window = createInFlightWindow(2, 2, 1);
    expect(await window.acquire(0, 10)).toBe(true);
    expect(await window.acquire(0, 10)).toBe(true);
    expect(window.park(0)).toBe(true); // a retry waits: its slot is free for a new envelope
    expect(window.park(0)).toBe(false); // parked retries are bounded too
    expect(await window.acquire(0, 10)).toBe(true);
    expect(window.size).toBe(3); // held: two sending, one parked (max + maxParked at most)
    const newcomer = window.acquire(0, 1000);
    let resumed = false;
    const resuming = window.resume(0).then(() => {
      resumed = true;
    });
    window.release(0); // the parked retry goes before the newcomer that waited longer
    await resuming;
    expect(resumed).toBe(true);
    expect(window.size).toBe(2);
    window.release(0);
    expect(await newcomer).toBe(true);
    window.release(0);
    window.release(0);
    expect(await window.drained(10)).toBe(true);
  });
});

describe('createRecentIds', () => {
  it('remembers the last max ids, the oldest leaving first', () => {
    const ids = createRecentIds(3);
    for (const id of ['a', 'b', 'c', 'a', 'd']) ids.add(id);
    expect(ids.size).toBe(3);
    expect(ids.has('a')).toBe(false); // the oldest, although seen twice: first in, first out
    expect(['b', 'c', 'd'].every((id) => ids.has(id))).toBe(true);
  });
});
