import { linkSync, lstatSync, lutimesSync, realpathSync, rmSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SpoolError } from './errors.js';
import { readRegular, writeNew } from './private-files.js';
import { processStartTime } from './process-start-time.js';

/**
 * How long a lock written on another host stays held without renewal. Its holder touches the
 * lock file every third of this; a holder gone with its host (a pod rescheduled with a new
 * hostname onto the same volume) stops touching it, and the lock is taken over once its
 * modification time is this old. Clocks of the hosts must agree to within a few seconds.
 */
export const LOCK_LEASE_MS = 30_000;

interface LockHolder {
  pid: number;
  hostname: string;
  since: string;
  /** The holder's start time as the OS tells it (Linux: clock ticks since boot); absent elsewhere. */
  started?: string;
}

/**
 * Directories this process holds, shared by every copy of this module in the process (an app
 * can load the ESM and the CommonJS build at once): a lock naming this pid is ours only if it is
 * in here; otherwise an earlier process with the same pid left it (a restarted container).
 */
const HELD_KEY = Symbol.for('faultline.spool.heldDirs');
const held: Set<string> = heldDirs();

function heldDirs(): Set<string> {
  const registry = globalThis as Record<symbol, Set<string> | undefined>;
  registry[HELD_KEY] ??= new Set<string>();
  return registry[HELD_KEY];
}

/**
 * Takes `<dir>/lock` for this process (its pid, host and start time in it), or throws a
 * SpoolError naming the live process that holds it. A lock is stale, and taken over, when its
 * process is gone, when it names this pid but this process does not hold it (the same pid after
 * a restart), when its pid now belongs to a process started at another time (pid reuse), or when
 * it cannot be read. A lock from another host is held while its lease is fresh (see
 * {@link LOCK_LEASE_MS}). The file is written whole before it appears, so no one reads it
 * half-done. Returns release().
 */
export function acquireLock(dir: string): () => void {
  const path = join(dir, 'lock');
  const key = realpathSync(dir);
  if (held.has(key)) {
    throw new SpoolError(
      `spool directory ${dir} is already open in this process; each transport needs its own spool directory`,
      { code: 'FAULTLINE_SPOOL_LOCKED' },
    );
  }
  const started = processStartTime(process.pid);
  const mine: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    since: new Date().toISOString(),
    ...(started === undefined ? {} : { started }),
  };
  const draft = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeNew(draft, JSON.stringify(mine));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        // link() fails with EEXIST when a lock is there: an atomic "create with this content".
        linkSync(draft, path);
        held.add(key);
        // The lease: a sign of life that holders on other hosts can see on a shared volume.
        const renew = setInterval(() => {
          try {
            const now = new Date();
            lutimesSync(path, now, now);
          } catch {
            // Gone or unwritable: the next open decides; this process keeps its records meanwhile.
          }
        }, LOCK_LEASE_MS / 3);
        renew.unref();
        return () => {
          clearInterval(renew);
          held.delete(key);
          if (readHolder(path)?.since === mine.since) rmSync(path, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new SpoolError(`cannot create the spool lock ${path}: ${(error as Error).message}`, {
            cause: error,
          });
        }
      }
      const holder = readHolder(path);
      if (holder && holdsLock(holder, path)) {
        const where =
          holder.hostname === hostname()
            ? ''
            : ` on host ${holder.hostname} (its lease is taken over ${LOCK_LEASE_MS / 1000} s after its last renewal)`;
        throw new SpoolError(
          `spool directory ${dir} is in use by process ${holder.pid}${where} (since ${holder.since}); ` +
            'each process needs its own spool directory',
          { code: 'FAULTLINE_SPOOL_LOCKED' },
        );
      }
      rmSync(path, { force: true });
    }
  } finally {
    try {
      unlinkSync(draft);
    } catch {
      // Already gone: nothing to tidy.
    }
  }
  throw new SpoolError(`cannot take the spool lock ${path}: another process keeps recreating it`, {
    code: 'FAULTLINE_SPOOL_LOCKED',
  });
}

/** Whether the process a lock names is alive and is the one that wrote it. */
function holdsLock(holder: LockHolder, path: string): boolean {
  if (holder.hostname !== hostname()) {
    // Another machine (a shared volume): its processes cannot be checked, its lease can.
    try {
      return Date.now() - lstatSync(path).mtimeMs < LOCK_LEASE_MS;
    } catch {
      return false;
    }
  }
  // This pid and not in `held`: an earlier process that had our pid.
  if (holder.pid === process.pid) return false;
  if (!isAlive(holder.pid)) return false;
  // Alive, but maybe a newer process that reuses the pid; the start times tell, where the OS says.
  if (holder.started === undefined) return true;
  const now = processStartTime(holder.pid);
  return now === undefined || now === holder.started;
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readRegular(path).toString('utf8')) as Partial<
      Record<keyof LockHolder, unknown>
    >;
    if (typeof parsed.pid !== 'number' || typeof parsed.hostname !== 'string') return undefined;
    return {
      pid: parsed.pid,
      hostname: parsed.hostname,
      since: String(parsed.since),
      ...(typeof parsed.started === 'string' ? { started: parsed.started } : {}),
    };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
