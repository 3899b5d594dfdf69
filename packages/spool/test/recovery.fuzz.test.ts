import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { byteMutationArbitrary, fc, mutateBytes } from '@faultline/testkit';
import { describe, expect, it } from 'vitest';
import { openSpool } from '../src/index.js';

// Property tests of recovery: a spool of records is closed, its segment files are damaged as a
// disk, a crash or a hostile neighbour could (bytes flipped, cut short, junk inserted, a range
// repeated), and it is opened again. Opening never throws, and every record read back is one
// that was written, whole: a bad frame is skipped, never read past into garbage.
describe('spool recovery, on damaged segments', () => {
  it('never throws, and reads back only whole records that were written', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 3000 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.tuple(fc.nat(), byteMutationArbitrary()), { minLength: 1, maxLength: 4 }),
        (records, damages) => {
          const dir = mkdtempSync(join(tmpdir(), 'faultline-fuzz-'));
          try {
            const first = openSpool({ dir, fsync: 'never', segmentBytes: 64 * 1024, maxBytes: 1 << 20 });
            for (const record of records) first.append(record);
            first.close();
            const segments = readdirSync(dir).filter((f) => f.endsWith('.seg'));
            for (const [which, d] of damages) {
              const path = join(dir, segments[which % segments.length] as string);
              writeFileSync(path, mutateBytes(readFileSync(path), d));
            }
            const written = new Set(records.map((r) => Buffer.from(r).toString('base64')));
            const again = openSpool({ dir, fsync: 'never', segmentBytes: 64 * 1024, maxBytes: 1 << 20 });
            const read = again.read(1000, 64 << 20).records;
            again.close();
            // (A repeated range can hold a whole record twice: a copy of what was written, at least once.)
            for (const record of read) expect(written.has(record.toString('base64'))).toBe(true);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
