const FIXED = Symbol.for('faultline.kafkajs.negativeTimeoutFixed');
/** KafkaJS 2.2.4's interval for re-checking queued requests (`requestQueue/index.js`). */
const CHECK_PENDING_REQUESTS_INTERVAL = 10;

interface RequestQueueLike {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
}

/**
 * KafkaJS 2.2.4 (its last release) calls `setTimeout` with a negative delay whenever its request
 * queue empties unthrottled (`RequestQueue.scheduleCheckPendingRequests`: `throttledUntil` starts
 * at -1). Node.js has always run such a timer after 1 ms; since Node 24 it also prints a
 * `TimeoutNegativeWarning` on the app's stderr. This puts the same method back with the delay
 * clamped to the 1 ms Node used anyway, so behaviour is unchanged and the warning goes. It applies
 * only when the method is the one it replaces (its source reads `this.throttledUntil -
 * Date.now()`), once per class. Pass the class from `kafkajs/src/network/requestQueue/index.js`.
 * Returns whether the class is fixed.
 */
export function fixKafkaJsNegativeTimeout(requestQueue: unknown): boolean {
  const proto = (requestQueue as { prototype?: Record<string | symbol, unknown> } | undefined)?.prototype;
  if (!proto) return false;
  if (proto[FIXED]) return true;
  const original = proto.scheduleCheckPendingRequests;
  if (typeof original !== 'function' || !original.toString().includes('this.throttledUntil - Date.now()')) {
    return false;
  }
  proto.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueLike) {
    let scheduleAt = this.throttledUntil - Date.now();
    if (!this.throttleCheckTimeoutId) {
      if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL;
      this.throttleCheckTimeoutId = setTimeout(
        () => {
          this.throttleCheckTimeoutId = null;
          this.checkPendingRequests();
        },
        Math.max(1, scheduleAt),
      );
    }
  };
  proto[FIXED] = true;
  return true;
}
