import { readFileSync, realpathSync } from 'node:fs';

/** What a spool directory keeps across restarts, as far as the OS tells. */
export interface SpoolDurability {
  /** The filesystem type the directory is on (`ext4`, `tmpfs`, `overlay`...), where known. */
  fsType: string | undefined;
  /**
   * `memory`: a RAM filesystem, emptied at reboot and with its container.
   * `container`: a container's writable layer, gone when the container is replaced (a
   * Kubernetes restart, `docker rm`), kept by `docker restart`.
   * `undefined`: a disk or volume (or the OS does not say: no `/proc`).
   */
  loses: 'memory' | 'container' | undefined;
}

const MEMORY = new Set(['tmpfs', 'ramfs']);
const CONTAINER_LAYER = new Set(['overlay', 'aufs', 'fuse-overlayfs']);

/**
 * Tells whether a spool directory survives restarts, from the mount it is on
 * (`/proc/self/mountinfo` on Linux). Never throws.
 */
export function spoolDurability(dir: string): SpoolDurability {
  let path: string;
  let mountinfo: string;
  try {
    path = realpathSync(dir);
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return { fsType: undefined, loses: undefined };
  }
  let best: { point: string; fsType: string } | undefined;
  for (const line of mountinfo.split('\n')) {
    // "36 35 98:0 /root /mnt rw,noatime shared:1 - ext4 /dev/vda rw": the mount point is the
    // fifth field; the type follows the " - " separator.
    const [left, right] = line.split(' - ');
    const point = left?.split(' ')[4]?.replace(/\\040/g, ' ');
    const fsType = right?.split(' ')[0];
    if (!point || !fsType) continue;
    const inside = point === '/' || path === point || path.startsWith(`${point}/`);
    if (inside && (!best || point.length >= best.point.length)) best = { point, fsType };
  }
  const fsType = best?.fsType;
  return {
    fsType,
    loses:
      fsType && MEMORY.has(fsType)
        ? 'memory'
        : fsType && CONTAINER_LAYER.has(fsType)
          ? 'container'
          : undefined,
  };
}
