/**
 * Bounds the envelopes held at once, overall and per partition. `acquire` waits (without
 * polling) until both have room, so the fetch loop stops reading while the window is full:
 * memory is bounded by the window, however slow the ingest.
 *
 * An envelope waiting out a retry or a rate limit sends nothing, so it can give its slot to the
 * next envelope (`park`) while it waits, up to `maxParked` such envelopes; it then takes a slot
 * again ahead of new envelopes (`resume`): it is older, and the committed offset waits for it.
 * At most `max + maxParked` envelopes are held.
 */
export interface InFlightWindow {
  /** Takes a slot now if there is room and nobody waits for one; false otherwise. */
  tryAcquire(partition: number): boolean;
  /** Resolves true once a slot is taken, false after `timeoutMs` without one (to heartbeat). */
  acquire(partition: number, timeoutMs: number): Promise<boolean>;
  /** Gives back the slot of a finished envelope; `parked` if it was parked when it finished. */
  release(partition: number, parked?: boolean): void;
  /** Frees a held slot for an envelope that waits; false when `maxParked` are parked already. */
  park(partition: number): boolean;
  /** Takes a slot again for a parked envelope, ahead of every `acquire`. */
  resume(partition: number): Promise<void>;
  /** Envelopes held now, parked ones included. */
  readonly size: number;
  /** Resolves once nothing is held, or after `timeoutMs`; true when empty. */
  drained(timeoutMs: number): Promise<boolean>;
  /**
   * The partitions this instance holds now: a partition may then take `max / partitions` slots
   * when that is more than `perPartition`. The per-partition bound keeps one busy partition from
   * starving the others; an instance holding one partition has no others, and with the bound it
   * would use half its window (measured: 3 instances over 4 partitions delivered what 2 did).
   */
  assigned(partitions: number): void;
}

export function createInFlightWindow(max: number, perPartition: number, maxParked = max): InFlightWindow {
  let active = 0;
  let parked = 0;
  const byPartition = new Map<number, number>();
  const waiters: { partition: number; grant: () => void }[] = [];
  const resumers: { partition: number; grant: () => void }[] = [];
  let drainWaiters: (() => void)[] = [];

  let partitionBound = perPartition;
  const hasRoom = (partition: number) => active < max && (byPartition.get(partition) ?? 0) < partitionBound;
  const take = (partition: number) => {
    active++;
    byPartition.set(partition, (byPartition.get(partition) ?? 0) + 1);
  };
  const give = (partition: number) => {
    active--;
    const held = (byPartition.get(partition) ?? 1) - 1;
    if (held > 0) byPartition.set(partition, held);
    else byPartition.delete(partition);
  };
  const wake = () => {
    // Parked envelopes first, past the per-partition bound: they hold the committed offset back.
    while (resumers.length > 0 && active < max) {
      const resumer = resumers.shift() as (typeof resumers)[number];
      take(resumer.partition);
      resumer.grant();
    }
    for (let i = 0; i < waiters.length && active < max; ) {
      const waiter = waiters[i] as (typeof waiters)[number];
      if (hasRoom(waiter.partition)) {
        waiters.splice(i, 1);
        take(waiter.partition);
        waiter.grant();
      } else i++;
    }
  };
  const settle = () => {
    wake();
    if (active + parked === 0) {
      for (const done of drainWaiters) done();
      drainWaiters = [];
    }
  };

  return {
    get size() {
      return active + parked;
    },
    tryAcquire(partition) {
      if (!hasRoom(partition) || waiters.length > 0 || resumers.length > 0) return false;
      take(partition);
      return true;
    },
    acquire(partition, timeoutMs) {
      if (this.tryAcquire(partition)) return Promise.resolve(true);
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
    release(partition, wasParked = false) {
      if (wasParked) parked--;
      else give(partition);
      settle();
    },
    park(partition) {
      if (parked >= maxParked) return false;
      parked++;
      give(partition);
      wake();
      return true;
    },
    resume(partition) {
      if (active < max && resumers.length === 0) {
        parked--;
        take(partition);
        return Promise.resolve();
      }
      // Counted as parked until granted, so `size` never drops below what is held.
      return new Promise<void>((resolve) => {
        resumers.push({
          partition,
          grant: () => {
            parked--;
            resolve();
          },
        });
      });
    },
    assigned(partitions) {
      partitionBound = Math.max(perPartition, Math.ceil(max / Math.max(1, partitions)));
      wake();
    },
    drained(timeoutMs) {
      if (active + parked === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(active + parked === 0), timeoutMs);
        drainWaiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
  };
}
