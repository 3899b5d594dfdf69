import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createAbortRegistry } from '../src/abort-registry.js';

describe('createAbortRegistry', () => {
  it('calls what is still registered when the signal aborts, once, through one listener', () => {
    const registry = createAbortRegistry();
    const controller = new AbortController();
    const called: number[] = [];
    const removers = [1, 2, 3].map((n) => registry.add(controller.signal, () => called.push(n)));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    removers[1]?.();
    controller.abort();
    controller.abort();
    expect(called).toEqual([1, 3]);
  });

  it('calls at once for a signal that aborted already; signals are kept apart', () => {
    const registry = createAbortRegistry();
    const aborted = AbortSignal.abort();
    let now = 0;
    registry.add(aborted, () => now++);
    expect(now).toBe(1);
    const a = new AbortController();
    const b = new AbortController();
    let fromA = 0;
    let fromB = 0;
    registry.add(a.signal, () => fromA++);
    registry.add(b.signal, () => fromB++);
    a.abort();
    expect([fromA, fromB]).toEqual([1, 0]);
  });
});
