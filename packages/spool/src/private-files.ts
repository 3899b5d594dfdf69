import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { SpoolError } from './errors.js';

// Where the platform has no O_NOFOLLOW (Windows), links are not a local user's weapon anyway.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
// Opening a FIFO for reading blocks until a writer comes: O_NONBLOCK returns at once, and the
// fstat below refuses it. Regular files ignore the flag.
const NONBLOCK = constants.O_NONBLOCK ?? 0;

/** Flags for the spool's files: never through a link, never waiting on a FIFO. */
export const READ = constants.O_RDONLY | NOFOLLOW | NONBLOCK;
export const READ_WRITE = constants.O_RDWR | NOFOLLOW | NONBLOCK;
export const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW | NONBLOCK;
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW;

/** Files the spool creates: readable by the owner only (envelopes hold whatever apps send). */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/**
 * Creates `dir` (and missing parents) readable by this user only, and checks what is there: a
 * directory, owned by this user (a directory someone else created in a shared temp dir is
 * refused, since its owner could read every envelope), with group and other access removed.
 */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  } catch (error) {
    throw new SpoolError(`spool directory ${dir} is not usable: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const stat = statSync(dir);
  if (!stat.isDirectory()) throw new SpoolError(`spool directory ${dir} is not usable: not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new SpoolError(
      `spool directory ${dir} is not usable: it belongs to user ${stat.uid}, not to this process's user ${uid}, ` +
        'who could read every envelope in it; remove it or choose another FAULTLINE_SPOOL_DIR',
    );
  }
  if (uid !== undefined && (stat.mode & 0o077) !== 0) chmodSync(dir, DIR_MODE);
}

/**
 * Opens a spool file without following a link and refuses anything but a regular file (a FIFO, a
 * device, a directory someone put in its place). Throws a SpoolError naming the path.
 */
export function openRegular(path: string, flags: number, mode = FILE_MODE): number {
  let fd: number;
  try {
    fd = openSync(path, flags, mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ELOOP' ? 'it is a symbolic link' : (error as Error).message;
    throw new SpoolError(`spool file ${path} cannot be opened: ${why}`, { cause: error });
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new SpoolError(`spool file ${path} is not a regular file`);
  }
  return fd;
}

/** The whole content of a regular file, read through {@link openRegular}. */
export function readRegular(path: string): Buffer {
  const fd = openRegular(path, READ);
  try {
    const size = fstatSync(fd).size;
    const data = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, data, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return read === size ? data : data.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a new file at `path` (whatever was there, a link included, is removed first, never
 * written through), readable by the owner only.
 */
export function writeNew(path: string, data: string | Buffer, sync = false): void {
  const fd = createNew(path);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    if (sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates a new file at `path` for writing (whatever was there, a link included, is removed
 * first, never written through), readable by the owner only, and returns its descriptor.
 */
export function createNew(path: string): number {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return openSync(path, CREATE_NEW, FILE_MODE);
}
