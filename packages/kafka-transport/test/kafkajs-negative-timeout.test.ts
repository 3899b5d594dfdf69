import { fixKafkaJsNegativeTimeout } from '@faultline/contract';
// @ts-expect-error KafkaJS ships no declaration for its internal modules
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';
import { afterEach, describe, expect, it, vi } from 'vitest';

// The real KafkaJS 2.2.4 class: once its queue empties unthrottled, it schedules a check with a
// negative delay, which Node 24 reports on stderr as a TimeoutNegativeWarning.
type Queue = {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests: () => void;
};
const idleQueue = (overrides: Partial<Queue> = {}): Queue => ({
  throttledUntil: -1, // as KafkaJS's constructor sets it
  throttleCheckTimeoutId: null,
  pending: [],
  checkPendingRequests: vi.fn(),
  ...overrides,
});

afterEach(() => {
  vi.restoreAllMocks();
});

function delayScheduledBy(queue: Queue): number | undefined {
  const spy = vi.spyOn(globalThis, 'setTimeout');
  RequestQueue.prototype.scheduleCheckPendingRequests.call(queue);
  const delay = spy.mock.calls[0]?.[1];
  if (queue.throttleCheckTimeoutId) clearTimeout(queue.throttleCheckTimeoutId);
  spy.mockRestore();
  return delay;
}

describe('fixKafkaJsNegativeTimeout', () => {
  it("clamps KafkaJS's negative delay to the 1 ms Node runs it after, and changes nothing else", async () => {
    // The control: before the fix, KafkaJS asks for a delay of about minus the epoch.
    if (!RequestQueue.prototype[Symbol.for('faultline.kafkajs.negativeTimeoutFixed')]) {
      expect(delayScheduledBy(idleQueue())).toBeLessThan(0);
    }
    expect(fixKafkaJsNegativeTimeout(RequestQueue)).toBe(true);
    expect(fixKafkaJsNegativeTimeout(RequestQueue)).toBe(true); // once per class

    expect(delayScheduledBy(idleQueue())).toBe(1);
    // Requests waiting, not throttled: KafkaJS's 10 ms interval, as before.
    expect(delayScheduledBy(idleQueue({ pending: [{}] }))).toBe(10);
    // Throttled by the broker for 500 ms more: that long, as before.
    const throttled = delayScheduledBy(idleQueue({ pending: [{}], throttledUntil: Date.now() + 500 }));
    expect(throttled).toBeGreaterThan(400);
    expect(throttled).toBeLessThanOrEqual(500);
    // A check already scheduled: nothing new.
    const scheduled = setTimeout(() => undefined, 1000);
    expect(delayScheduledBy(idleQueue({ throttleCheckTimeoutId: scheduled }))).toBeUndefined();
    clearTimeout(scheduled);

    // The scheduled check still runs the queue.
    const queue = idleQueue();
    RequestQueue.prototype.scheduleCheckPendingRequests.call(queue);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(queue.checkPendingRequests).toHaveBeenCalledTimes(1);
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it('leaves anything but the method it knows alone', () => {
    class Other {
      scheduleCheckPendingRequests() {
        return 'untouched';
      }
    }
    expect(fixKafkaJsNegativeTimeout(Other)).toBe(false);
    expect(new Other().scheduleCheckPendingRequests()).toBe('untouched');
    expect(fixKafkaJsNegativeTimeout(undefined)).toBe(false);
  });
});
