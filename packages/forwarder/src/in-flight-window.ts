/**
 * Bounds the envelopes held at once, overall and per partition. `acquire` waits (without
 * polling) until both have room, so the fetch loop stops reading while the window is full:
 * memory is bounded by the window, however slow the ingest.
 */
export interface InFlightWindow {
  /** Resolves true once a slot is taken, false after `timeoutMs` without one (to heartbeat). */
  acquire(partition: number, timeoutMs: number): Promise<boolean>;
  release(partition: number): void;
  /** Envelopes held now. */
  readonly size: number;
  /** Resolves once nothing is held, or after `timeoutMs`; true when empty. */
  drained(timeoutMs: number): Promise<boolean>;
}

export function createInFlightWindow(max: number, perPartition: number): InFlightWindow {
  let size = 0;
  const byPartition = new Map<number, number>();
  const waiters: { partition: number; grant: () => void }[] = [];
  let drainWaiters: (() => void)[] = [];

  const hasRoom = (partition: number) => size < max && (byPartition.get(partition) ?? 0) < perPartition;
  const take = (partition: number) => {
    size++;
    byPartition.set(partition, (byPartition.get(partition) ?? 0) + 1);
  };
  const wake = () => {
    for (let i = 0; i < waiters.length && size < max; ) {
      const waiter = waiters[i] as (typeof waiters)[number];
      if (hasRoom(waiter.partition)) {
        waiters.splice(i, 1);
        take(waiter.partition);
        waiter.grant();
      } else i++;
    }
  };

  return {
    get size() {
      return size;
    },
    acquire(partition, timeoutMs) {
      if (hasRoom(partition) && waiters.length === 0) {
        take(partition);
        return Promise.resolve(true);
      }
      return new Promise<boolean>((resolve) => {
        const waiter = {
          partition,
          grant: () => {
            clearTimeout(timer);
            resolve(true);
          },
        };
        const timer = setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          resolve(false);
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    release(partition) {
      size--;
      const held = (byPartition.get(partition) ?? 1) - 1;
      if (held > 0) byPartition.set(partition, held);
      else byPartition.delete(partition);
      wake();
      if (size === 0) {
        for (const done of drainWaiters) done();
        drainWaiters = [];
      }
    },
    drained(timeoutMs) {
      if (size === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(size === 0), timeoutMs);
        drainWaiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
  };
}
