import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spoolDurability } from '../src/index.js';

const linux = existsSync('/proc/self/mountinfo');
const shmIsTmpfs = linux && /\s\/dev\/shm\s.* - tmpfs\s/.test(readFileSync('/proc/self/mountinfo', 'utf8'));

describe('spoolDurability', () => {
  it.runIf(shmIsTmpfs)('says a directory on tmpfs is lost with memory', () => {
    const dir = mkdtempSync(join('/dev/shm', 'faultline-durability-'));
    expect(spoolDurability(dir)).toEqual({ fsType: 'tmpfs', loses: 'memory' });
  });

  it.runIf(linux)('names the filesystem of the deepest mount a directory is on', () => {
    const { fsType, loses } = spoolDurability(process.cwd());
    expect(typeof fsType).toBe('string');
    expect(loses).toBe(fsType === 'overlay' ? 'container' : fsType === 'tmpfs' ? 'memory' : undefined);
  });

  it('knows nothing of a directory that does not exist, and does not throw', () => {
    expect(spoolDurability('/no/such/faultline/dir')).toEqual({ fsType: undefined, loses: undefined });
  });
});
