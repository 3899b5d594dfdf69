import { join } from 'node:path';
import { SpoolError } from './errors.js';
import { openSpool, type Spool, type SpoolOptions } from './open-spool.js';
import { ensurePrivateDir } from './private-files.js';

/** How many processes of one service can spool on one host (or one shared volume). */
export const MAX_SPOOL_SLOTS = 256;

/** A spool opened in one slot of a service's spool directory. */
export interface SlotSpool {
  spool: Spool;
  /** The slot's directory: `<service dir>/<slot>`. */
  dir: string;
  slot: number;
}

export interface SlotSpoolOptions extends SpoolOptions {
  /**
   * The slot to try first. Other slots are tried from 0 up when it is held.
   * @default the PM2 instance number (`NODE_APP_INSTANCE`) when set, else 0
   */
  preferredSlot?: number;
}

/**
 * Opens this process's own spool under a service's spool directory (`options.dir`): the first
 * slot `<dir>/<n>` no live process holds, trying `preferredSlot` first. So every process of a
 * service (the workers of `node:cluster`, PM2's cluster instances, an old and a new process
 * overlapping in a restart) gets a spool without configuration, and a process that takes the slot
 * of one that is gone sends what it left. Throws a SpoolError when the directory is unusable or
 * all {@link MAX_SPOOL_SLOTS} slots are held.
 */
export function openSlotSpool(options: SlotSpoolOptions): SlotSpool {
  const { preferredSlot = pm2Instance() ?? 0, ...spoolOptions } = options;
  // The service's directory is checked like a slot's: one that another user owns could have its
  // slots swapped under us.
  ensurePrivateDir(options.dir);
  const order = [preferredSlot, ...Array.from({ length: MAX_SPOOL_SLOTS }, (_, i) => i)];
  const tried = new Set<number>();
  for (const slot of order) {
    if (tried.has(slot) || slot < 0 || slot >= MAX_SPOOL_SLOTS) continue;
    tried.add(slot);
    const dir = join(options.dir, String(slot));
    const spool = openIfFree({ ...spoolOptions, dir });
    if (spool) return { spool, dir, slot };
  }
  throw new SpoolError(
    `every spool slot under ${options.dir} (${MAX_SPOOL_SLOTS}) is held by a live process`,
    { code: 'FAULTLINE_SPOOL_LOCKED' },
  );
}

/**
 * Opens the spool at `options.dir` unless a live process holds it (undefined then). A directory
 * removed under our feet by a process that just finished draining it is tried again.
 */
export function openIfFree(options: SpoolOptions): Spool | undefined {
  for (let attempt = 0; ; attempt++) {
    try {
      return openSpool(options);
    } catch (error) {
      if (error instanceof SpoolError && error.code === 'FAULTLINE_SPOOL_LOCKED') return undefined;
      if (attempt < 2 && isVanished(error)) continue;
      throw error;
    }
  }
}

function isVanished(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 3; depth++) {
    if (e.code === 'ENOENT') return true;
    e = e.cause as typeof e;
  }
  return false;
}

/**
 * PM2 numbers the instances of a cluster-mode app 0..n-1 and keeps the number across restarts.
 * It sets `NODE_APP_INSTANCE` (or the app's `instance_var`) only once its own loader runs: a
 * preload (`node_args: '--require @faultline/core/init'`) sees the number in the JSON of
 * `pm2_env` instead.
 */
function pm2Instance(): number | undefined {
  const direct = slotNumber(process.env.NODE_APP_INSTANCE);
  if (direct !== undefined) return direct;
  const blob = process.env.pm2_env;
  if (blob === undefined || blob.length > 1_000_000) return undefined;
  try {
    const pm2 = JSON.parse(blob) as Record<string, unknown>;
    const name = typeof pm2.instance_var === 'string' ? pm2.instance_var : 'NODE_APP_INSTANCE';
    return slotNumber(pm2[name]);
  } catch {
    return undefined;
  }
}

function slotNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value !== 'string' || !/^\d{1,3}$/.test(value)) return undefined;
  return Number(value);
}
