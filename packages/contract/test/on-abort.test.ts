import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onAbort, sleep } from '../src/index.js';

describe('onAbort', () => {
  it('calls what is still registered when the signal aborts, once, through one listener', () => {
    const controller = new AbortController();
    const called: number[] = [];
    const cancels = [1, 2, 3].map((n) => onAbort(controller.signal, () => called.push(n)));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    cancels[1]?.();
    controller.abort();
    controller.abort();
    expect(called).toEqual([1, 3]);
  });

  it('calls at once for a signal that aborted already; signals are kept apart', () => {
    let now = 0;
    onAbort(AbortSignal.abort(), () => now++);
    expect(now).toBe(1);
    const a = new AbortController();
    const b = new AbortController();
    let fromA = 0;
    let fromB = 0;
    onAbort(a.signal, () => fromA++);
    onAbort(b.signal, () => fromB++);
    a.abort();
    expect([fromA, fromB]).toEqual([1, 0]);
  });
});

describe('sleep', () => {
  it('300 sleeps on one signal hold one listener, and all end false at once when it aborts', async () => {
    const controller = new AbortController();
    const sleeps = Array.from({ length: 300 }, () => sleep(60_000, controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    // 60 s each: they end within the test's timeout only through the abort.
    controller.abort();
    expect(await Promise.all(sleeps)).toEqual(Array(300).fill(false));
  });

  it('ends true when the time passed, with or without a signal; false for a signal aborted already', async () => {
    const controller = new AbortController();
    expect(await sleep(5, controller.signal)).toBe(true);
    expect(await sleep(5)).toBe(true);
    controller.abort();
    expect(await sleep(5, controller.signal)).toBe(false);
  });
});
