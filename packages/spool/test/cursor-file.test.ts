import { readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNodeScript } from '@faultline/testkit';
import { describe, expect, it } from 'vitest';
import { openCursorFile } from '../src/cursor-file.js';
import { spoolsUnderTest } from './spools-under-test.js';

const { tempDir, spoolAt } = spoolsUnderTest('faultline-cursor-test-');
const text = (records: Buffer[]) => records.map(String);

describe('the spool cursor', () => {
  it('overwrites one file in place after the first acknowledgement, and a reopened spool reads on from it', () => {
    const dir = tempDir();
    let spool = spoolAt(dir);
    for (let i = 0; i < 6; i++) spool.append(Buffer.from(`r${i}`));
    spool.ack(spool.read(2));
    const first = statSync(join(dir, 'cursor'));
    spool.ack(spool.read(2));
    const second = statSync(join(dir, 'cursor'));
    // The same file (no draft renamed over it), of the same fixed size.
    expect(second.ino).toBe(first.ino);
    expect(second.size).toBe(64);
    spool.close();
    spool = spoolAt(dir);
    expect(text(spool.read(10).records)).toEqual(['r4', 'r5']);
  });

  it('reads the unpadded cursor older versions wrote, and writes one that plain JSON.parse reads', () => {
    const path = join(tempDir(), 'cursor');
    writeFileSync(path, JSON.stringify({ seq: 3, offset: 1234 }));
    const cursor = openCursorFile(path, false);
    expect(cursor.read()).toEqual({ seq: 3, offset: 1234 });
    cursor.write({ seq: 4, offset: 99 });
    cursor.write({ seq: 4, offset: 7 });
    cursor.close();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ seq: 4, offset: 7 });
    expect(openCursorFile(path, false).read()).toEqual({ seq: 4, offset: 7 });
  });

  it('fsyncs each write when asked, and reads back the last one', () => {
    const path = join(tempDir(), 'cursor');
    const cursor = openCursorFile(path, true);
    for (let offset = 0; offset < 5; offset++) cursor.write({ seq: 1, offset: offset * 100 });
    cursor.close();
    expect(statSync(path).size).toBe(64);
    expect(openCursorFile(path, true).read()).toEqual({ seq: 1, offset: 400 });
  });

  it('reads a damaged cursor as the start, so records are sent again rather than lost', () => {
    const path = join(tempDir(), 'cursor');
    writeFileSync(path, '{"seq":4,"off');
    expect(openCursorFile(path, false).read()).toEqual({ seq: 0, offset: 0 });
  });

  it('never writes through a link put in place of the cursor while the spool holds it open', () => {
    const dir = tempDir();
    const victim = join(tempDir(), 'victim');
    writeFileSync(victim, 'not yours');
    const spool = spoolAt(dir);
    for (let i = 0; i < 4; i++) spool.append(Buffer.from(`r${i}`));
    spool.ack(spool.read(1));
    renameSync(join(dir, 'cursor'), join(dir, 'moved-away'));
    symlinkSync(victim, join(dir, 'cursor'));
    spool.ack(spool.read(1));
    expect(readFileSync(victim, 'utf8')).toBe('not yours');
    // The write went to the file it had opened, wherever that is now.
    expect(JSON.parse(readFileSync(join(dir, 'moved-away'), 'utf8')).offset).toBeGreaterThan(0);
  });

  it('keeps what a process acknowledged before it was SIGKILLed, with no close and no fsync', async () => {
    const dir = tempDir();
    const run = await runNodeScript(fileURLToPath(new URL('./fixtures/ack-then-die.mjs', import.meta.url)), {
      env: { ...process.env, FIXTURE_SPOOL_DIR: dir, RECORDS: '50', BATCH: '10', ACKS: '3' },
      timeoutMs: 20_000,
    });
    expect(run.signal).toBe('SIGKILL');
    const spool = spoolAt(dir);
    // Exactly the 20 records never acknowledged: none lost, none of the 30 acknowledged sent again.
    expect(text(spool.read(100).records)).toEqual(Array.from({ length: 20 }, (_, i) => `record ${30 + i}`));
  });
});
