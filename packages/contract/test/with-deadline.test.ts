import { afterEach, describe, expect, it, vi } from 'vitest';
import { withDeadline } from '../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('withDeadline', () => {
  it('ends at the deadline when the promise never settles', async () => {
    vi.useFakeTimers();
    let ended = false;
    const waiting = withDeadline(new Promise(() => undefined), 1000).then(() => (ended = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(ended).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(ended).toBe(true);
  });

  it('ends with the promise, and leaves no timer behind', async () => {
    vi.useFakeTimers();
    await withDeadline(Promise.resolve('done'), 60_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes a rejection through', async () => {
    await expect(withDeadline(Promise.reject(new Error('refused')), 1000)).rejects.toThrow('refused');
  });
});
