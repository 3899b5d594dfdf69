import { describe, expect, it } from 'vitest';
import { createCountOnce, SEEKS_BEFORE_GAP } from '../src/count-once.js';

/** The offsets `from`..`to` as a batch carries them. */
const offsets = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ offset: String(from + i) }));

describe('createCountOnce', () => {
  it('counts a partition read on from its start, batch after batch', () => {
    const once = createCountOnce();
    once.start(0, 10);
    expect(once.plan(0, offsets(10, 19))).toEqual({ from: 0 });
    once.counted(0, '19');
    expect(once.plan(0, offsets(20, 29))).toEqual({ from: 0 });
  });

  it('skips what is read again (a restart from an older committed offset), counting the rest', () => {
    const once = createCountOnce();
    once.start(0, 0);
    once.counted(0, '29');
    expect(once.plan(0, offsets(20, 39))).toEqual({ from: 10 });
    expect(once.plan(0, offsets(0, 29))).toEqual({ from: 30 }); // all of it counted already
  });

  it('seeks back to its start when the first batch starts past it (a seek KafkaJS lost)', () => {
    const once = createCountOnce();
    once.start(0, 100);
    expect(once.plan(0, offsets(250, 259))).toEqual({ seek: 100 });
    expect(once.plan(0, offsets(100, 109))).toEqual({ from: 0 });
  });

  it('seeks back over a gap inside the stream too, and takes a gap that stays as real', () => {
    const once = createCountOnce();
    once.start(0, 0);
    once.counted(0, '9');
    for (let i = 0; i < SEEKS_BEFORE_GAP; i++) expect(once.plan(0, offsets(12, 20))).toEqual({ seek: 10 });
    // Offsets 10 and 11 hold nothing to read (a transaction's markers, say): counted from 12 on.
    expect(once.plan(0, offsets(12, 20))).toEqual({ from: 0 });
    once.counted(0, '20');
    expect(once.plan(0, offsets(21, 25))).toEqual({ from: 0 });
  });

  it('takes any first batch of a partition whose start is not known, and keeps partitions apart', () => {
    const once = createCountOnce();
    once.start(0, -1);
    expect(once.plan(0, offsets(40, 49))).toEqual({ from: 0 });
    once.counted(0, '49');
    once.start(1, 5);
    expect(once.plan(1, offsets(5, 9))).toEqual({ from: 0 });
    expect(once.plan(0, offsets(45, 55))).toEqual({ from: 5 });
  });
});
