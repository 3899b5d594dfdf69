import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SpoolError } from './errors.js';

/**
 * Takes `<dir>/lock` for this process (its pid and host in it), or throws a SpoolError naming the
 * process that holds it. A lock left by a process that is gone is taken over. Returns release().
 */
export function acquireLock(dir: string): () => void {
  const path = join(dir, 'lock');
  const mine = JSON.stringify({ pid: process.pid, hostname: hostname(), since: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, mine);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new SpoolError(`cannot create the spool lock ${path}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      const holder = readHolder(path);
      if (holder && holder.hostname === hostname() && isAlive(holder.pid)) {
        throw new SpoolError(
          `spool directory ${dir} is in use by process ${holder.pid} (since ${holder.since}); ` +
            'each process needs its own spool directory',
        );
      }
      // Stale: its process is gone (or the file is unreadable). Take it over.
      rmSync(path, { force: true });
    }
  }
  throw new SpoolError(`cannot take the spool lock ${path}: another process keeps recreating it`);
}

function readHolder(path: string): { pid: number; hostname: string; since: string } | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as {
      pid?: unknown;
      hostname?: unknown;
      since?: unknown;
    };
    if (typeof parsed.pid !== 'number' || typeof parsed.hostname !== 'string') return undefined;
    return { pid: parsed.pid, hostname: parsed.hostname, since: String(parsed.since) };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
