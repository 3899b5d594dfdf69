import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSpoolDir, LOCK_LEASE_MS, openSpool, SpoolError } from '../src/index.js';
import { spoolsUnderTest } from './spools-under-test.js';

// The spool directory may sit on a shared disk or in the shared temp dir: these tests put there
// what another local user could, and check that the spool neither leaks, nor follows, nor hangs.
const { tempDir: base, spoolAt } = spoolsUnderTest('faultline-hostile-');
const mode = (path: string) => statSync(path).mode & 0o777;
const segments = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .sort();
/** A file of someone else's, which the spool must never write or read through a link. */
function victim(): string {
  const path = join(base(), 'victim');
  writeFileSync(path, 'not yours');
  return path;
}

describe('a private spool', () => {
  it('creates its directory 0700 and its files 0600, whatever the umask lets through', () => {
    const dir = join(base(), 'a', 'b');
    const spool = spoolAt(dir);
    spool.append(Buffer.from('secret'));
    spool.ack(spool.read(10));
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, '..'))).toBe(0o700);
    for (const file of readdirSync(dir)) expect([file, mode(join(dir, file))]).toEqual([file, 0o600]);
  });

  it('takes group and other access away from a directory of its own created open', () => {
    const dir = join(base(), 'open');
    mkdirSync(dir, { mode: 0o777 });
    chmodSync(dir, 0o777);
    spoolAt(dir);
    expect(mode(dir)).toBe(0o700);
  });

  it.runIf(process.getuid?.() === 0)('refuses a directory another user created first', () => {
    const dir = join(base(), 'planted');
    mkdirSync(dir, { mode: 0o777 });
    chownSync(dir, 4242, 4242);
    expect(() => openSpool({ dir })).toThrow(SpoolError);
    expect(() => openSpool({ dir })).toThrow(/belongs to user 4242/);
  });

  it('defaults to a directory per user under the temp dir', () => {
    expect(defaultSpoolDir('my svc')).toBe(join(tmpdir(), `faultline-spool-${process.getuid?.()}`, 'my_svc'));
  });
});

describe('a spool that follows nothing', () => {
  it('neither reads nor truncates through a segment replaced by a link, and keeps the other records', () => {
    const dir = join(base(), 'spool');
    let spool = openSpool({ dir, fsync: 'never', segmentBytes: 64 * 1024 });
    const big = Buffer.alloc(40 * 1024, 'x');
    for (let i = 0; i < 4; i++) spool.append(big);
    spool.close();
    const files = segments(dir);
    expect(files.length).toBeGreaterThan(1);
    const target = victim();
    const last = join(dir, files.at(-1) as string);
    unlinkSync(last);
    symlinkSync(target, last);
    spool = spoolAt(dir);
    expect(readFileSync(target, 'utf8')).toBe('not yours');
    expect(spool.stats().corrupt).toBe(1);
    // The link is gone, and the records of the real segments are all still there.
    expect(lstatSync(last, { throwIfNoEntry: false })?.isSymbolicLink() ?? false).toBe(false);
    const read = spool.read(100, 10 * 1024 * 1024).records;
    expect(read.length).toBeGreaterThan(0);
    expect(read.every((r) => r.equals(big))).toBe(true);
    spool.append(Buffer.from('after'));
    expect(readFileSync(target, 'utf8')).toBe('not yours');
  });

  it('never writes through a cursor, or a cursor draft, that is a link', () => {
    const dir = join(base(), 'spool');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const target = victim();
    symlinkSync(target, join(dir, 'cursor'));
    symlinkSync(target, join(dir, 'cursor.tmp'));
    const spool = spoolAt(dir);
    spool.append(Buffer.from('one'));
    spool.ack(spool.read(10));
    expect(readFileSync(target, 'utf8')).toBe('not yours');
    expect(lstatSync(join(dir, 'cursor')).isFile()).toBe(true);
  });

  it('does not hang on a FIFO in place of a segment, the cursor or the lock', () => {
    const dir = join(base(), 'spool');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const name of ['000000000001.seg', 'cursor', 'lock']) {
      execFileSync('mkfifo', [join(dir, name)]);
    }
    const spool = spoolAt(dir);
    expect(spool.stats().corrupt).toBe(1);
    expect(spool.append(Buffer.from('fine'))).toBe(true);
    expect(spool.read(10).records.map(String)).toEqual(['fine']);
  });

  it('takes over a lock that is a link, leaving what it points at alone', () => {
    const dir = join(base(), 'spool');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const target = victim();
    symlinkSync(target, join(dir, 'lock'));
    spoolAt(dir);
    expect(readFileSync(target, 'utf8')).toBe('not yours');
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')).pid).toBe(process.pid);
  });
});

describe('a lock written on another host', () => {
  const lockFrom = (dir: string, ageMs: number) => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, 'lock');
    writeFileSync(path, JSON.stringify({ pid: 1, hostname: 'old-pod-7f9c', since: '2026-12-01T00:00:00Z' }));
    const at = new Date(Date.now() - ageMs);
    utimesSync(path, at, at);
  };

  it('is held while its lease is fresh, and the refusal names the host', () => {
    const dir = join(base(), 'spool');
    lockFrom(dir, 1_000);
    expect(() => openSpool({ dir })).toThrow(/in use by process 1 on host old-pod-7f9c/);
  });

  it('is taken over once its lease has run out (a pod restarted under a new hostname)', () => {
    const dir = join(base(), 'spool');
    lockFrom(dir, LOCK_LEASE_MS + 1_000);
    spoolAt(dir);
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')).pid).toBe(process.pid);
  });
});
