/** Kept events processed in the tick they were captured in; later ones in that tick wait. */
export const INLINE_PER_TICK = 16;
/** Waiting events processed per later turn of the event loop. */
export const DRAIN_SLICE = 32;

export interface KeptEventQueue<T> {
  /** Whether this capture should wait: its tick has had its share, or others wait already. */
  shouldDefer(): boolean;
  /** Takes a waiting capture; false if the queue is full (the caller counts the drop). */
  defer(capture: T): boolean;
  /** Processes every waiting capture now (a flush, or the process exiting). */
  drain(): void;
  /** Captures waiting. */
  readonly size: number;
  stop(): void;
}

/**
 * Spreads the processing of kept events over the turns of the event loop. A burst of errors in
 * one tick (a failing dependency, a loop over bad records) used to have each kept event prepared
 * in that tick: scopes applied, event processors run, the envelope built and handed on. That
 * blocks the app for as long as the burst is kept events. Here the first `inlinePerTick` of a
 * tick go through at once, as a single error always does; the rest wait in a bounded queue and
 * are processed `slice` at a time, one slice per turn, in capture order. `drain()` processes
 * all of them at once, for a flush or an exit.
 */
export function createKeptEventQueue<T>(options: {
  process: (capture: T) => void;
  /** Captures that may wait at once. */
  max: number;
  /** @default INLINE_PER_TICK */
  inlinePerTick?: number;
  /** @default DRAIN_SLICE */
  slice?: number;
}): KeptEventQueue<T> {
  const inlinePerTick = options.inlinePerTick ?? INLINE_PER_TICK;
  const slice = options.slice ?? DRAIN_SLICE;
  let waiting: T[] = [];
  let head = 0;
  let inlineLeft = inlinePerTick;
  let turn: NodeJS.Immediate | undefined;
  let stopped = false;

  function schedule(): void {
    if (turn || stopped) return;
    // Not unref'd: waiting events are work the app asked for, as the SDK's own timers are.
    turn = setImmediate(nextTurn);
  }

  function nextTurn(): void {
    turn = undefined;
    inlineLeft = inlinePerTick;
    processSome(slice);
    if (head < waiting.length) schedule();
  }

  function processSome(limit: number): void {
    const end = Math.min(waiting.length, head + limit);
    while (head < end) {
      const capture = waiting[head] as T;
      waiting[head++] = undefined as T; // let it go as soon as it is processed
      try {
        options.process(capture);
      } catch {
        // The SDK's capture does not throw; if it did, the rest must still go.
      }
    }
    if (head === waiting.length) {
      waiting = [];
      head = 0;
    }
  }

  return {
    shouldDefer() {
      if (stopped) return false;
      if (head < waiting.length) return true;
      if (inlineLeft === inlinePerTick) schedule(); // the share is given back next turn
      if (inlineLeft > 0) {
        inlineLeft--;
        return false;
      }
      return true;
    },
    defer(capture) {
      if (waiting.length - head >= options.max) return false;
      waiting.push(capture);
      schedule();
      return true;
    },
    drain() {
      processSome(Number.POSITIVE_INFINITY);
    },
    get size() {
      return waiting.length - head;
    },
    stop() {
      stopped = true;
      if (turn) clearImmediate(turn);
      turn = undefined;
      processSome(Number.POSITIVE_INFINITY);
    },
  };
}
