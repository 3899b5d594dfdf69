import type { Logger } from '@faultline/contract';
import {
  type AdoptedSpool,
  adoptOrphanSpool,
  LOCK_LEASE_MS,
  openSlotSpool,
  type Spool,
  type SpoolOptions,
} from '@faultline/spool';

/** How often a process looks for spools left by processes of its service that are gone. */
export const ADOPT_INTERVAL_MS = 10_000;

/**
 * The transport's disk: this process's slot of the service's spool directory, and at most one
 * slot of a process that is gone, which it drains after its own.
 */
export interface TransportSpools {
  /** This process's slot, or undefined while it cannot be opened (then envelopes are counted lost). */
  readonly own: Spool | undefined;
  /** Where `own` lives, for log lines. */
  readonly ownDir: string | undefined;
  /** The slot of a process that is gone, being drained; undefined when there is none. */
  readonly adopted: Spool | undefined;
  /** The spool the drainer reads next: this process's backlog first. */
  next(): Spool | undefined;
  /** Records waiting on disk, in both. */
  records(): number;
  bytes(): number;
  /** Looks for a slot left by a process that is gone (also every ADOPT_INTERVAL_MS). */
  adopt(): void;
  /** After a batch of the adopted slot was acknowledged: removes the slot once empty. */
  drainedSome(): void;
  /** On `process.exit()`: the own slot synced to disk, both closed, nothing removed. */
  closeAtExit(): void;
  /** At `close()`, before the last envelopes are spilled: no more retries or adoptions. */
  stop(): void;
  /** At the end of `close()`: both slots closed, removed when empty. */
  close(): void;
}

/**
 * Opens this process's slot under `root` (one per process, so the workers of `node:cluster` or
 * PM2 each have their own). A slot that cannot be opened (held by a process on another host whose
 * lease has not run out, a directory owned by someone else) does not stop the application: it
 * says so once and tries again every lease period. `onAdopted` is called when a gone process's
 * slot is taken over, so the transport can start draining it.
 */
export function openTransportSpools(deps: {
  root: string | undefined;
  options: Omit<SpoolOptions, 'dir'>;
  logger: Logger;
  onAdopted: () => void;
  /** Counted each time an adopted slot is drained and removed. */
  onSlotDrained: () => void;
}): TransportSpools {
  const { root, options, logger } = deps;
  let own: Spool | undefined;
  let ownDir: string | undefined;
  let retry: NodeJS.Timeout | undefined;
  let adopted: AdoptedSpool | undefined;
  let closed = false;

  const tryOpen = (first: boolean): void => {
    if (root === undefined) return;
    try {
      const opened = openSlotSpool({ ...options, dir: root });
      own = opened.spool;
      ownDir = opened.dir;
      if (!first) logger.info(`spool ${ownDir} opened; envelopes are buffered on disk again`);
      if (retry) clearInterval(retry);
      retry = undefined;
    } catch (error) {
      if (!first) return;
      logger.warn(
        `${(error as Error).message}; running without a disk buffer: while Kafka is away, envelopes are dropped (counted) until the spool opens (tried every ${LOCK_LEASE_MS / 1000} s)`,
      );
      retry = setInterval(() => tryOpen(false), LOCK_LEASE_MS);
      retry.unref();
    }
  };
  tryOpen(true);

  const spools: TransportSpools = {
    get own() {
      return own;
    },
    get ownDir() {
      return ownDir;
    },
    get adopted() {
      return adopted?.spool;
    },
    next() {
      return own && own.stats().records > 0 ? own : adopted?.spool;
    },
    records() {
      return (own?.stats().records ?? 0) + (adopted?.spool.stats().records ?? 0);
    },
    bytes() {
      return (own?.stats().bytes ?? 0) + (adopted?.spool.stats().bytes ?? 0);
    },
    adopt() {
      if (!own || !root || !ownDir || adopted || closed) return;
      try {
        adopted = adoptOrphanSpool({ ...options, dir: root, except: ownDir });
      } catch {
        adopted = undefined;
      }
      if (!adopted) return;
      logger.info(
        `sending the ${adopted.spool.stats().records} envelope(s) left in ${adopted.dir} by a process that is gone`,
      );
      deps.onAdopted();
    },
    drainedSome() {
      if (!adopted || adopted.spool.stats().records > 0) return;
      adopted.spool.close({ removeIfEmpty: true });
      adopted = undefined;
      deps.onSlotDrained();
      spools.adopt();
    },
    closeAtExit() {
      own?.sync();
      own?.close();
      adopted?.spool.close();
    },
    stop() {
      closed = true;
      clearInterval(retry);
      clearInterval(adoptTimer);
    },
    close() {
      own?.close({ removeIfEmpty: true });
      // Not drained in time: its lock goes, and another process of the service takes it over.
      adopted?.spool.close({ removeIfEmpty: true });
      adopted = undefined;
    },
  };
  const adoptTimer = setInterval(() => spools.adopt(), ADOPT_INTERVAL_MS);
  adoptTimer.unref();
  return spools;
}
