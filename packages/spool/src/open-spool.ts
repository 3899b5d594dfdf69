import {
  accessSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  readdirSync,
  readSync,
  rmdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { openCursorFile, type SpoolPosition } from './cursor-file.js';
import { SpoolError } from './errors.js';
import { checkFrame, frame, HEADER_BYTES, MAX_RECORD_BYTES } from './frame.js';
import { acquireLock } from './lock-file.js';
import { APPEND, ensurePrivateDir, openRegular, READ, READ_WRITE, readRegular } from './private-files.js';

export interface SpoolOptions {
  /**
   * The directory, created if missing, readable by this user only (0700, files 0600). One process
   * per directory. A directory owned by another user is refused, and no file in it is opened
   * through a link or unless it is a regular file.
   */
  dir: string;
  /** Upper bound on the spool's size on disk. Env: `FAULTLINE_SPOOL_MAX_BYTES`. @default 268 435 456 (256 MiB) */
  maxBytes?: number;
  /** Segment file size; whole segments are deleted once delivered. @default min(16 MiB, maxBytes / 4) */
  segmentBytes?: number;
  /**
   * When appends reach the disk for sure: `always` (fsync each append: safest, about a
   * millisecond each), `interval` (fsync every `fsyncIntervalMs`: a machine crash may lose that
   * much, a process crash loses nothing, since written data is in the OS page cache), `never`.
   * @default 'interval'
   */
  fsync?: 'always' | 'interval' | 'never';
  /** @default 1000 ms */
  fsyncIntervalMs?: number;
  /** When full: drop the oldest records to make room, or refuse the new one. @default 'drop-oldest' */
  whenFull?: 'drop-oldest' | 'drop-newest';
  /** Told about every record the spool drops, with its bytes, so the drop can be counted. */
  onDrop?: (payloads: Buffer[], reason: 'full' | 'write_error') => void;
}

export type { SpoolPosition } from './cursor-file.js';

export interface SpoolBatch {
  records: Buffer[];
  /** Where the batch ends; pass the batch to `ack()` once delivered. */
  end: SpoolPosition;
  /** How many of the records came from each segment (for the spool's own counts). */
  perSegment: Map<number, number>;
}

export interface SpoolStats {
  /** Records appended and not yet acknowledged. */
  records: number;
  /** Bytes on disk. */
  bytes: number;
  dropped: number;
  /** Records found corrupt at open and skipped. */
  corrupt: number;
  /** Bytes of a torn tail truncated at open. */
  truncated: number;
  writeErrors: number;
}

export interface Spool {
  /**
   * Appends a record, synchronously (it is in the OS page cache when this returns, so it survives
   * `process.exit()`; see `fsync` for machine crashes). Returns false when the record was dropped
   * (counted through `onDrop`). Never throws.
   */
  append(payload: Uint8Array): boolean;
  /** Reads up to `maxRecords` (and about `maxBytes`) records after the last read, oldest first. */
  read(maxRecords: number, maxBytes?: number): SpoolBatch;
  /** Marks everything up to the batch's end delivered: it will not be read again, even after a restart. */
  ack(batch: SpoolBatch): void;
  /** Forgets reads that were not acknowledged, so they are read again (after a failed delivery). */
  rewind(): void;
  /** Forces appended records to disk now. */
  sync(): void;
  stats(): SpoolStats;
  /**
   * Syncs, closes the files and releases the lock. With `removeIfEmpty`, a spool holding no
   * record is removed from disk first (its segments, cursor and, if nothing else is in it, its
   * directory): how an adopted spool of a process that is gone is tidied once drained.
   */
  close(options?: { removeIfEmpty?: boolean }): void;
}

interface Segment {
  seq: number;
  /** Bytes in the file. */
  size: number;
  /** Where valid records end (a corrupt tail in an older segment is never read). */
  end: number;
  /** Records not yet acknowledged in this segment. */
  records: number;
}

const SEGMENT_SUFFIX = '.seg';
/** How much of a segment one read takes: many small records at once, at most this in memory. */
const READ_CHUNK_BYTES = 1024 * 1024;
/** The least one chunk reads, so a spool of tiny records still takes them many at a time. */
const MIN_CHUNK_BYTES = 16 * 1024;
const segmentName = (seq: number) => `${String(seq).padStart(12, '0')}${SEGMENT_SUFFIX}`;

/**
 * Opens (or creates) a crash-safe, append-only, bounded buffer of records on disk: segment files
 * of length- and CRC-framed records, read oldest first, removed only when acknowledged (at least
 * once). On open, a torn tail is truncated and corrupt records are skipped and counted.
 * Throws a `SpoolError` when the directory is unusable or held by another live process.
 */
export function openSpool(options: SpoolOptions): Spool {
  const { dir } = options;
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  const segmentBytes =
    options.segmentBytes ?? Math.max(64 * 1024, Math.min(16 * 1024 * 1024, Math.floor(maxBytes / 4)));
  const fsyncMode = options.fsync ?? 'interval';
  const whenFull = options.whenFull ?? 'drop-oldest';
  const onDrop = options.onDrop ?? (() => undefined);

  ensurePrivateDir(dir);
  try {
    accessSync(dir, constants.W_OK | constants.R_OK);
  } catch (error) {
    throw new SpoolError(`spool directory ${dir} is not usable: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const releaseLock = acquireLock(dir);

  const stats: SpoolStats = { records: 0, bytes: 0, dropped: 0, corrupt: 0, truncated: 0, writeErrors: 0 };
  const cursor = openCursorFile(join(dir, 'cursor'), fsyncMode === 'always');
  let ackPos = cursor.read();
  let segments: Segment[];
  try {
    segments = recover(dir, ackPos, stats);
  } catch (error) {
    releaseLock();
    throw new SpoolError(`spool directory ${dir} could not be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (segments.length === 0) segments.push(createSegment(dir, Math.max(1, ackPos.seq)));
  const first = segments[0] as Segment;
  if (first.seq > ackPos.seq || (first.seq === ackPos.seq && ackPos.offset > first.end)) {
    ackPos = { seq: first.seq, offset: 0 };
  }
  let readPos: SpoolPosition = { ...ackPos };
  /** Framed bytes per record in the last chunk read: what the next read expects. */
  let recordBytesRead = 1024;
  let active = segments[segments.length - 1] as Segment;
  let writeFd = openRegular(join(dir, segmentName(active.seq)), APPEND);
  const readFds = new Map<number, number>();
  let dirty = false;
  let closed = false;
  stats.bytes = segments.reduce((sum, s) => sum + s.size, 0);

  const timer =
    fsyncMode === 'interval'
      ? setInterval(() => syncNow(), options.fsyncIntervalMs ?? 1000).unref()
      : undefined;

  function syncNow(): void {
    if (!dirty || closed) return;
    try {
      fsyncSync(writeFd);
      dirty = false;
    } catch {
      // A failing fsync is reported by the next write; nothing to do here.
    }
  }

  function rotate(): void {
    syncNow();
    closeSync(writeFd);
    active = createSegment(dir, active.seq + 1);
    segments.push(active);
    writeFd = openRegular(join(dir, segmentName(active.seq)), APPEND);
  }

  function readFd(seq: number): number {
    let fd = readFds.get(seq);
    if (fd === undefined) {
      fd = openRegular(join(dir, segmentName(seq)), READ);
      readFds.set(seq, fd);
    }
    return fd;
  }

  function dropSegment(segment: Segment): void {
    const fd = readFds.get(segment.seq);
    if (fd !== undefined) closeSync(fd);
    readFds.delete(segment.seq);
    rmSync(join(dir, segmentName(segment.seq)), { force: true });
    stats.bytes -= segment.size;
  }

  /** Reads the next record at `pos` in place, or undefined at the end of the spool. */
  function readAt(pos: SpoolPosition): { payload: Buffer; next: SpoolPosition } | undefined {
    for (;;) {
      const index = segments.findIndex((s) => s.seq === pos.seq);
      const segment = segments[index];
      if (!segment) return undefined;
      if (pos.offset >= segment.end) {
        const next = segments[index + 1];
        if (!next) return undefined;
        pos = { seq: next.seq, offset: 0 };
        continue;
      }
      const fd = readFd(segment.seq);
      const header = Buffer.allocUnsafe(HEADER_BYTES);
      readSync(fd, header, 0, HEADER_BYTES, pos.offset);
      const length = header.readUInt32LE(0);
      if (length > MAX_RECORD_BYTES || pos.offset + HEADER_BYTES + length > segment.end) {
        // Cannot happen for records this process wrote; skip the rest of a damaged segment.
        pos = { seq: segment.seq, offset: segment.end };
        continue;
      }
      const data = Buffer.allocUnsafe(HEADER_BYTES + length);
      readSync(fd, data, 0, data.length, pos.offset);
      const checked = checkFrame(data, 0);
      const next = { seq: segment.seq, offset: pos.offset + data.length };
      if (checked.kind === 'record') return { payload: checked.payload, next };
      // Corrupt records were counted when the spool was opened; step over this one.
      pos = next;
    }
  }

  function dropOldestSegment(): void {
    const head = segments[0];
    if (!head || head === active) return;
    const payloads: Buffer[] = [];
    let pos: SpoolPosition = head.seq === ackPos.seq ? { ...ackPos } : { seq: head.seq, offset: 0 };
    for (let found = readAt(pos); found && found.next.seq === head.seq; found = readAt(pos)) {
      payloads.push(found.payload);
      pos = found.next;
    }
    segments.shift();
    dropSegment(head);
    stats.records -= head.records;
    stats.dropped += head.records;
    const next = segments[0] as Segment;
    ackPos = { seq: next.seq, offset: 0 };
    if (readPos.seq < next.seq) readPos = { ...ackPos };
    cursor.write(ackPos);
    if (payloads.length > 0) onDrop(payloads, 'full');
  }

  function refuse(payload: Uint8Array, reason: 'full' | 'write_error'): false {
    stats.dropped++;
    onDrop([Buffer.from(payload)], reason);
    return false;
  }

  return {
    append(payload) {
      if (closed || payload.byteLength === 0) return refuse(payload, 'write_error');
      const record = frame(payload);
      if (record.length > maxBytes) return refuse(payload, 'full');
      try {
        while (stats.bytes + record.length > maxBytes) {
          if (whenFull === 'drop-newest') return refuse(payload, 'full');
          if (segments.length === 1) rotate();
          dropOldestSegment();
        }
        if (active.size > 0 && active.size + record.length > segmentBytes) rotate();
        writeSync(writeFd, record);
        if (fsyncMode === 'always') fsyncSync(writeFd);
        else dirty = true;
      } catch {
        stats.writeErrors++;
        return refuse(payload, 'write_error');
      }
      active.size += record.length;
      active.end = active.size;
      active.records++;
      stats.records++;
      stats.bytes += record.length;
      return true;
    },
    read(maxRecords, maxBytes = 4 * 1024 * 1024) {
      const records: Buffer[] = [];
      const perSegment = new Map<number, number>();
      let bytes = 0;
      const take = (payload: Buffer, next: SpoolPosition) => {
        records.push(payload);
        perSegment.set(next.seq, (perSegment.get(next.seq) ?? 0) + 1);
        bytes += payload.length;
        readPos = next;
      };
      while (records.length < maxRecords && bytes < maxBytes) {
        // Records are read a chunk at a time (one read for many small records, not two each);
        // a record larger than the chunk, or one that does not check out, goes through readAt.
        const segment = segments.find((s) => s.seq === readPos.seq);
        const left = segment ? segment.end - readPos.offset : 0;
        let used = 0;
        if (segment && left > HEADER_BYTES) {
          const base = readPos.offset;
          // Sized to the records still wanted, at the size of the records last read, and a
          // quarter more: reading the whole 1 MB for a batch of small records copied 16 times
          // what the batch used, and its records, views of the chunk, kept all of it alive while
          // the batch was in flight. A short guess costs one more read.
          const wanted = Math.min(maxBytes - bytes, recordBytesRead * (maxRecords - records.length) * 1.25);
          const chunk = Buffer.allocUnsafe(
            Math.min(left, READ_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, Math.ceil(wanted) + HEADER_BYTES)),
          );
          const got = readSync(readFd(segment.seq), chunk, 0, chunk.length, base);
          const data = got < chunk.length ? chunk.subarray(0, got) : chunk;
          const before = records.length;
          while (records.length < maxRecords && bytes < maxBytes) {
            const checked = checkFrame(data, used);
            if (checked.kind !== 'record') break;
            used = checked.next;
            take(checked.payload, { seq: segment.seq, offset: base + used });
          }
          if (records.length > before) recordBytesRead = used / (records.length - before);
        }
        if (used > 0) continue;
        const found = readAt(readPos);
        if (!found) break;
        // A record larger than the guess: the next chunk expects records of its size, or every
        // record of a run of larger ones would be read on its own.
        if (found.next.seq === readPos.seq) recordBytesRead = found.next.offset - readPos.offset;
        take(found.payload, found.next);
      }
      return { records, end: { ...readPos }, perSegment };
    },
    ack(batch) {
      if (batch.records.length === 0) return;
      for (const [seq, count] of batch.perSegment) {
        const segment = segments.find((s) => s.seq === seq);
        if (segment) segment.records -= count;
        stats.records -= count;
      }
      ackPos = { ...batch.end };
      while (segments.length > 1 && (segments[0] as Segment).seq < ackPos.seq) {
        dropSegment(segments.shift() as Segment);
      }
      try {
        cursor.write(ackPos);
      } catch {
        // The records may be delivered again after a restart: at least once, never lost.
      }
    },
    rewind() {
      readPos = { ...ackPos };
    },
    sync: syncNow,
    stats: () => ({ ...stats }),
    close(closeOptions) {
      if (closed) return;
      syncNow();
      closed = true;
      if (timer) clearInterval(timer);
      closeSync(writeFd);
      for (const fd of readFds.values()) closeSync(fd);
      readFds.clear();
      cursor.close();
      const remove = closeOptions?.removeIfEmpty === true && stats.records === 0;
      if (remove) {
        // Under the lock, so no other process is reading what goes.
        for (const segment of segments) rmSync(join(dir, segmentName(segment.seq)), { force: true });
        cursor.remove();
      }
      releaseLock();
      if (remove) {
        try {
          rmdirSync(dir);
        } catch {
          // Not empty (another process's lock, other files) or already gone: leave it.
        }
      }
    },
  };
}

function createSegment(dir: string, seq: number): Segment {
  const fd = openRegular(join(dir, segmentName(seq)), APPEND);
  const { size } = fstatSync(fd);
  closeSync(fd);
  return { seq, size, end: 0, records: 0 };
}

/**
 * Scans the segments after the cursor: counts records, skips and counts corrupt ones, truncates
 * a torn tail of the newest segment (an append the process did not finish), and deletes
 * segments the cursor has passed. An entry named as a segment that is not a regular file (a
 * link, a FIFO) is removed, never read through, and counted as corrupt.
 */
function recover(dir: string, cursor: SpoolPosition, stats: SpoolStats): Segment[] {
  const seqs = readdirSync(dir)
    .filter((name) => name.endsWith(SEGMENT_SUFFIX))
    .map((name) => Number.parseInt(name, 10))
    .filter((seq) => Number.isInteger(seq))
    .sort((a, b) => a - b);
  const segments: Segment[] = [];
  seqs.forEach((seq, i) => {
    const path = join(dir, segmentName(seq));
    if (seq < cursor.seq) {
      rmSync(path, { force: true });
      return;
    }
    if (!lstatSync(path).isFile()) {
      stats.corrupt++;
      rmSync(path, { force: true, recursive: true });
      return;
    }
    const data = readRegular(path);
    const isLast = i === seqs.length - 1;
    let offset = seq === cursor.seq ? Math.min(cursor.offset, data.length) : 0;
    let records = 0;
    let end = data.length;
    while (offset < data.length) {
      const checked = checkFrame(data, offset);
      if (checked.kind === 'record') {
        records++;
        offset = checked.next;
      } else if (checked.kind === 'corrupt') {
        stats.corrupt++;
        offset = checked.next;
      } else {
        if (isLast) {
          const fd = openRegular(path, READ_WRITE);
          ftruncateSync(fd, offset);
          fsyncSync(fd);
          closeSync(fd);
          stats.truncated += data.length - offset;
        } else {
          // A damaged length in an older segment: nothing after it can be framed again.
          stats.corrupt++;
        }
        end = offset;
        break;
      }
    }
    stats.records += records;
    segments.push({ seq, size: isLast ? end : data.length, end, records });
  });
  return segments;
}
