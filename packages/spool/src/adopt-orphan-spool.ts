import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openIfFree } from './open-slot-spool.js';
import type { Spool, SpoolOptions } from './open-spool.js';

/** A spool left by a process that is gone, now held (locked) by this one. */
export interface AdoptedSpool {
  spool: Spool;
  dir: string;
}

export interface AdoptOptions extends SpoolOptions {
  /** This process's own slot directory, never adopted. */
  except: string;
}

/**
 * Takes over a spool that a process of the same service left behind with records in it (a worker
 * killed during an outage, an instance scaled away): a slot `<dir>/<n>` whose lock no live process
 * holds, or the service directory itself when it holds segments written before spools had slots.
 * Its lock is taken like any spool's, so two processes never drain one directory. Drained spools
 * found on the way are removed. Returns undefined when there is none.
 */
export function adoptOrphanSpool(options: AdoptOptions): AdoptedSpool | undefined {
  const { except, ...spoolOptions } = options;
  for (const dir of candidates(options.dir, resolve(except))) {
    let spool: Spool | undefined;
    try {
      spool = openIfFree({ ...spoolOptions, dir });
    } catch {
      // Unusable (not ours, unreadable): not something to adopt.
      continue;
    }
    if (!spool) continue;
    if (spool.stats().records > 0) return { spool, dir };
    spool.close({ removeIfEmpty: true });
  }
  return undefined;
}

/** The service directory (if it holds segments), then each slot with segments, lowest first. */
function candidates(root: string, except: string): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch {
    return [];
  }
  const found: string[] = [];
  if (entries.some((e) => e.isFile() && e.name.endsWith('.seg'))) found.push(root);
  const slots = entries
    .filter((e) => e.isDirectory() && /^\d+$/.test(e.name))
    .map((e) => Number(e.name))
    .sort((a, b) => a - b);
  for (const slot of slots) {
    const dir = join(root, String(slot));
    if (resolve(dir) === except) continue;
    try {
      if (readdirSync(dir).some((name) => name.endsWith('.seg'))) found.push(dir);
    } catch {
      // Gone meanwhile, or not readable: skip.
    }
  }
  return found;
}
