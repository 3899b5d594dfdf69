import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest global setup for every project: the run gets a temporary directory of its own, made the
 * `TMPDIR` of the test workers (and of the services they start with the environment), and removed
 * when the run ends. Tests make spools, locks and configs under `os.tmpdir()`; without this, every
 * run left thousands of them behind, and a run that failed midway left more.
 */
export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'faultline-test-run-'));
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}
