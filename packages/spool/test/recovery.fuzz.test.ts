import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc } from '@faultline/testkit';
import { describe, expect, it } from 'vitest';
import { openSpool } from '../src/index.js';

// Property tests of recovery: a spool of records is closed, its segment files are damaged as a
// disk, a crash or a hostile neighbour could (bytes flipped, cut short, junk inserted, a range
// repeated), and it is opened again. Opening never throws, and every record read back is one
// that was written, whole: a bad frame is skipped, never read past into garbage.
const damage = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: fc.nat(),
    length: fc.nat(100),
    times: fc.integer({ min: 1, max: 5 }),
  }),
);

interface Damage {
  kind: string;
  at: number;
  byte?: number;
  bytes?: Uint8Array;
  length?: number;
  times?: number;
}

function apply(bytes: Buffer, d: Damage): Buffer {
  const at = bytes.length === 0 ? 0 : d.at % bytes.length;
  if (d.kind === 'flip') {
    const out = Buffer.from(bytes);
    if (out.length > 0) out[at] = (out[at] as number) ^ ((d.byte as number) || 1);
    return out;
  }
  if (d.kind === 'cut') return bytes.subarray(0, at);
  if (d.kind === 'insert')
    return Buffer.concat([bytes.subarray(0, at), Buffer.from(d.bytes as Uint8Array), bytes.subarray(at)]);
  const range = bytes.subarray(at, at + (d.length as number));
  return Buffer.concat([bytes.subarray(0, at), ...Array(d.times as number).fill(range), bytes.subarray(at)]);
}

describe('spool recovery, on damaged segments', () => {
  it('never throws, and reads back only whole records that were written', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 3000 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.tuple(fc.nat(), damage), { minLength: 1, maxLength: 4 }),
        (records, damages) => {
          const dir = mkdtempSync(join(tmpdir(), 'faultline-fuzz-'));
          try {
            const first = openSpool({ dir, fsync: 'never', segmentBytes: 64 * 1024, maxBytes: 1 << 20 });
            for (const record of records) first.append(record);
            first.close();
            const segments = readdirSync(dir).filter((f) => f.endsWith('.seg'));
            for (const [which, d] of damages) {
              const path = join(dir, segments[which % segments.length] as string);
              writeFileSync(path, apply(readFileSync(path), d));
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
