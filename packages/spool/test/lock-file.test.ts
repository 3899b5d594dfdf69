import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSpool, SpoolError } from '../src/index.js';
import { processStartTime } from '../src/process-start-time.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function spoolDirWithLock(holder: Record<string, unknown> | string): string {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-lock-'));
  writeFileSync(join(dir, 'lock'), typeof holder === 'string' ? holder : JSON.stringify(holder));
  return dir;
}

/** A live process that is not this one. */
function liveProcess(): number {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  return child.pid as number;
}

function lockHolderPid(dir: string): number {
  return (JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')) as { pid: number }).pid;
}

describe('spool lock', () => {
  it("takes over a lock naming this process's own pid (a restarted container has the same pid)", () => {
    const dir = spoolDirWithLock({ pid: process.pid, hostname: hostname(), since: '2026-01-01T00:00:00Z' });
    const spool = openSpool({ dir });
    expect(lockHolderPid(dir)).toBe(process.pid);
    spool.close();
  });

  it('refuses a directory held by a live unrelated process, naming it', () => {
    const pid = liveProcess();
    const started = processStartTime(pid);
    const dir = spoolDirWithLock({
      pid,
      hostname: hostname(),
      since: 'then',
      ...(started ? { started } : {}),
    });
    expect(() => openSpool({ dir })).toThrow(SpoolError);
    expect(() => openSpool({ dir })).toThrow(`in use by process ${pid}`);
    // The refusal leaves the holder's lock alone.
    expect(lockHolderPid(dir)).toBe(pid);
  });

  it.runIf(processStartTime(process.pid) !== undefined)(
    'takes over a lock whose pid now belongs to a process started at another time',
    () => {
      const pid = liveProcess();
      const dir = spoolDirWithLock({ pid, hostname: hostname(), since: 'then', started: '1' });
      const spool = openSpool({ dir });
      expect(lockHolderPid(dir)).toBe(process.pid);
      spool.close();
    },
  );

  it('takes over a lock that cannot be read', () => {
    for (const garbage of ['', '{"pid":', 'not json at all']) {
      const dir = spoolDirWithLock(garbage);
      const spool = openSpool({ dir });
      expect(lockHolderPid(dir)).toBe(process.pid);
      spool.close();
    }
  });

  it('refuses a second open of one directory in this process, and allows it after close', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-lock-'));
    const first = openSpool({ dir });
    expect(() => openSpool({ dir })).toThrow('already open in this process');
    first.close();
    openSpool({ dir }).close();
  });
});
