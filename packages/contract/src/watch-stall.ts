/** How long a consumer may show no sign of life, outside its own work, before it counts as stalled. */
export const STALL_AFTER_MS = 60_000;

export interface StallWatch {
  /** A sign of life: a fetch started, a heartbeat, a group joined. */
  alive(): void;
  /** Runs the owner's work (a batch); the time it takes never counts as a stall. */
  busy<T>(work: () => Promise<T>): Promise<T>;
  /** Starts counting, when created with `start: false`: work already running still counts as busy. */
  start(): void;
  stop(): void;
}

/**
 * Calls `onStall` (once) when no sign of life came for `stallAfterMs` (default 60 s) while none of
 * the owner's work was running. The check's timer does not hold the process. Once stopped, it
 * cannot start again.
 *
 * Why: a KafkaJS 2.2.4 consumer can stop without crashing: after a broker restart its run has been
 * seen joined, caught up, and then fetching nothing for minutes, no error, no crash event. A
 * healthy run starts a fetch at least every `maxWaitTimeInMs`, so a minute without one, outside
 * the owner's own batch, is a run that will not come back by itself.
 */
export function watchStall(options: {
  onStall: (idleMs: number) => void;
  stallAfterMs?: number;
  /** Whether it counts from creation, or from `start()`. @default true */
  start?: boolean;
}): StallWatch {
  const stallAfterMs = options.stallAfterMs ?? STALL_AFTER_MS;
  let last = Date.now();
  let working = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  function start(): void {
    if (stopped || timer) return;
    last = Date.now();
    timer = setInterval(
      () => {
        const idleMs = Date.now() - last;
        if (working > 0 || idleMs < stallAfterMs) return;
        stop();
        options.onStall(idleMs);
      },
      Math.max(10, Math.floor(stallAfterMs / 4)),
    );
    timer.unref();
  }
  function stop(): void {
    stopped = true;
    clearInterval(timer);
  }
  if (options.start !== false) start();
  return {
    start,
    alive() {
      last = Date.now();
    },
    async busy(work) {
      working++;
      try {
        return await work();
      } finally {
        working--;
        last = Date.now();
      }
    },
    stop,
  };
}
