import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNodeScript } from '@faultline/testkit';
import { describe, expect, it } from 'vitest';
import { openSpool, SpoolError } from '../src/index.js';

// Two real processes on one spool directory: the second is refused with the holder's pid, and
// gets the directory (and what the first left in it) once the first is gone.
describe('spool lock across processes', () => {
  it('refuses a second process, naming the holder, then hands over when it is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-spool-lock-'));
    let holderPid = 0;
    let refusal: unknown;
    const holder = runNodeScript(fileURLToPath(new URL('./fixtures/hold-spool.mjs', import.meta.url)), {
      env: { PATH: process.env.PATH, FIXTURE_SPOOL_DIR: dir },
      onStdout: (text, child) => {
        if (!text.includes('holding')) return;
        holderPid = child.pid ?? 0;
        try {
          openSpool({ dir }).close();
        } catch (error) {
          refusal = error;
        }
        child.kill('SIGTERM');
      },
    });
    expect((await holder).code).toBe(0);
    expect(refusal).toBeInstanceOf(SpoolError);
    expect((refusal as Error).message).toContain(`in use by process ${holderPid}`);

    const spool = openSpool({ dir });
    expect(spool.read(10).records.map(String)).toEqual(['held']);
    spool.close();
  });
});
