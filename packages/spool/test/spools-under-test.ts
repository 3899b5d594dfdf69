import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { openSpool, type Spool, type SpoolOptions } from '../src/index.js';

/**
 * Spools for one test file: each in a directory of its own (`tempDir`, named after `prefix`),
 * opened without fsync (the tests kill no machine), and closed after each test so that its lock
 * does not outlive the test.
 */
export function spoolsUnderTest(prefix: string): {
  tempDir(): string;
  spoolAt(dir: string, options?: Partial<SpoolOptions>): Spool;
} {
  const open: Spool[] = [];
  afterEach(() => {
    for (const spool of open.splice(0)) spool.close();
  });
  return {
    tempDir: () => mkdtempSync(join(tmpdir(), prefix)),
    spoolAt(dir, options = {}) {
      const spool = openSpool({ dir, fsync: 'never', ...options });
      open.push(spool);
      return spool;
    },
  };
}
