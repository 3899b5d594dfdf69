import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createEnvelope, type Envelope } from '@sentry/core';
import { describe, expect, it } from 'vitest';
import { createOfflineStore, openSpool, type Spool, SpoolError, type SpoolOptions } from '../src/index.js';
import { spoolsUnderTest } from './spools-under-test.js';

const { tempDir, spoolAt } = spoolsUnderTest('faultline-spool-test-');
function reopen(spool: Spool, dir: string, options: Partial<SpoolOptions> = {}): Spool {
  spool.close();
  return spoolAt(dir, options);
}
const text = (records: Buffer[]) => records.map((r) => r.toString());
const segmentFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .sort();

describe('openSpool', () => {
  it('reads records oldest first and removes them only when acknowledged', () => {
    const dir = tempDir();
    let spool = spoolAt(dir);
    for (const word of ['one', 'two', 'three']) expect(spool.append(Buffer.from(word))).toBe(true);
    const batch = spool.read(2);
    expect(text(batch.records)).toEqual(['one', 'two']);
    spool.ack(batch);
    expect(spool.stats().records).toBe(1);

    // Read but not acknowledged: read again after a restart (at least once).
    expect(text(spool.read(10).records)).toEqual(['three']);
    spool = reopen(spool, dir);
    expect(text(spool.read(10).records)).toEqual(['three']);
  });

  it('reads back every record in order across read chunks, segments and records larger than a chunk', () => {
    const dir = tempDir();
    const spool = spoolAt(dir, { segmentBytes: 4 * 1024 * 1024, maxBytes: 64 * 1024 * 1024 });
    const written: Buffer[] = [];
    for (let i = 0; i < 400; i++) {
      // mostly small and mid-sized records, and every 97th larger than the 1 MiB read chunk
      const size = i % 97 === 50 ? 1_500_000 : 1 + ((i * 7919) % 40_000);
      const record = Buffer.alloc(size, i % 251);
      written.push(record);
      expect(spool.append(record)).toBe(true);
    }
    const read: Buffer[] = [];
    for (;;) {
      const batch = spool.read(37, 3 * 1024 * 1024);
      if (batch.records.length === 0) break;
      read.push(...batch.records);
      spool.ack(batch);
    }
    expect(read.length).toBe(written.length);
    for (const [i, record] of read.entries()) expect(record.equals(written[i] as Buffer)).toBe(true);
    expect(spool.stats().records).toBe(0);
  });

  it('reads a batch of small records with a chunk near their size, not the whole 1 MiB', () => {
    // A drain holds each batch's records until Kafka has them; they are views of the chunk they
    // were read with, so a chunk far larger than the batch is memory held and bytes copied for
    // nothing (a batch of 200 envelopes of 320 bytes used a sixteenth of the 1 MiB it read).
    const dir = tempDir();
    const spool = spoolAt(dir);
    for (let i = 0; i < 20_000; i++) spool.append(Buffer.alloc(300, i % 251));
    let batches = 0;
    for (;;) {
      const batch = spool.read(200);
      if (batch.records.length === 0) break;
      for (const record of batch.records) expect(record.length).toBe(300);
      if (batches++ > 0) {
        // After the first batch, whose chunk is a guess: 200 framed records and a quarter more.
        const held = new Set(batch.records.map((record) => record.buffer));
        const bytes = [...held].reduce((sum, buffer) => sum + buffer.byteLength, 0);
        expect(bytes).toBeLessThan(200 * 1024);
      }
      spool.ack(batch);
    }
    expect(batches).toBe(100);
    expect(spool.stats().records).toBe(0);
  });

  it('reads larger records after small ones many to a chunk again, not each on its own', () => {
    const dir = tempDir();
    const spool = spoolAt(dir);
    for (let i = 0; i < 400; i++) spool.append(Buffer.alloc(300, 1));
    for (let i = 0; i < 40; i++) spool.append(Buffer.alloc(100_000, 2));
    const large: Buffer[] = [];
    for (;;) {
      const batch = spool.read(200);
      if (batch.records.length === 0) break;
      large.push(...batch.records.filter((record) => record.length === 100_000));
      spool.ack(batch);
    }
    expect(large).toHaveLength(40);
    // The first larger record is read on its own (the guess was for 300 bytes); then the chunks
    // expect records of its size and take up to 1 MiB, ten of them, at a time.
    expect(new Set(large.map((record) => record.buffer)).size).toBeLessThanOrEqual(6);
  });

  it('reads again what was not acknowledged after rewind()', () => {
    const spool = spoolAt(tempDir());
    spool.append(Buffer.from('a'));
    spool.append(Buffer.from('b'));
    expect(text(spool.read(10).records)).toEqual(['a', 'b']);
    spool.rewind();
    expect(text(spool.read(10).records)).toEqual(['a', 'b']);
  });

  it('rolls segments and deletes them once everything in them is acknowledged', () => {
    const dir = tempDir();
    const spool = spoolAt(dir, { segmentBytes: 100, maxBytes: 10_000 });
    for (let i = 0; i < 20; i++)
      spool.append(Buffer.from(`record-${String(i).padStart(3, '0')}-${'x'.repeat(20)}`));
    expect(segmentFiles(dir).length).toBeGreaterThan(5);
    const all = spool.read(100);
    expect(all.records).toHaveLength(20);
    spool.ack(all);
    expect(segmentFiles(dir)).toHaveLength(1);
    expect(spool.stats()).toMatchObject({ records: 0 });
  });

  it('truncates a torn tail on open (a crash in the middle of an append)', () => {
    const dir = tempDir();
    let spool = spoolAt(dir);
    spool.append(Buffer.from('complete-1'));
    spool.append(Buffer.from('complete-2'));
    spool.close();
    const [segment] = segmentFiles(dir);
    // A header announcing 100 bytes, followed by only 10 of them.
    const header = Buffer.alloc(8);
    header.writeUInt32LE(100, 0);
    appendFileSync(join(dir, segment as string), Buffer.concat([header, Buffer.alloc(10, 1)]));
    spool = spoolAt(dir);
    expect(spool.stats()).toMatchObject({ records: 2, truncated: 18, corrupt: 0 });
    spool.append(Buffer.from('after-recovery'));
    expect(text(spool.read(10).records)).toEqual(['complete-1', 'complete-2', 'after-recovery']);
  });

  it('skips and counts a corrupt record, keeping the ones around it', () => {
    const dir = tempDir();
    let spool = spoolAt(dir);
    for (const word of ['first', 'second', 'third']) spool.append(Buffer.from(word));
    spool.close();
    const path = join(dir, segmentFiles(dir)[0] as string);
    const bytes = readFileSync(path);
    const second = bytes.indexOf('second');
    bytes[second] = 'S'.charCodeAt(0); // flip one payload byte: the CRC no longer matches
    writeFileSync(path, bytes);
    spool = spoolAt(dir);
    expect(spool.stats()).toMatchObject({ corrupt: 1, records: 2 });
    expect(text(spool.read(10).records)).toEqual(['first', 'third']);
  });

  it('stays within its bound, dropping the oldest records and reporting them', () => {
    const dir = tempDir();
    const dropped: string[] = [];
    const spool = spoolAt(dir, {
      maxBytes: 2000,
      segmentBytes: 500,
      onDrop: (payloads, reason) => dropped.push(...payloads.map((p) => `${reason}:${p.toString()}`)),
    });
    for (let i = 0; i < 100; i++)
      expect(spool.append(Buffer.from(`r${String(i).padStart(3, '0')}${'.'.repeat(40)}`))).toBe(true);
    const stats = spool.stats();
    expect(stats.bytes).toBeLessThanOrEqual(2000);
    expect(stats.dropped).toBe(dropped.length);
    expect(dropped[0]).toMatch(/^full:r000/);
    const kept = text(spool.read(1000).records);
    expect(kept.length + dropped.length).toBe(100);
    expect(kept.at(-1)).toMatch(/^r099/);
  });

  it('refuses new records when full under drop-newest', () => {
    const dropped: string[] = [];
    const spool = spoolAt(tempDir(), {
      maxBytes: 300,
      segmentBytes: 100,
      whenFull: 'drop-newest',
      onDrop: (payloads) => dropped.push(...payloads.map(String)),
    });
    const results = Array.from({ length: 20 }, (_, i) =>
      spool.append(Buffer.from(`n${i}-${'y'.repeat(20)}`)),
    );
    expect(results.filter((r) => !r)).toHaveLength(dropped.length);
    expect(text(spool.read(100).records)[0]).toMatch(/^n0-/);
    expect(dropped.at(-1)).toMatch(/^n19-/);
  });

  it('refuses a second opener in this process while the first holds the lock', () => {
    const dir = tempDir();
    spoolAt(dir);
    expect(() => openSpool({ dir })).toThrow('already open in this process');
  });

  it('takes over a lock left by a process that is gone', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'lock'),
      JSON.stringify({ pid: 2 ** 22 + 12345, hostname: hostname(), since: 'x' }),
    );
    const spool = spoolAt(dir);
    expect(spool.append(Buffer.from('ok'))).toBe(true);
  });

  it('gives a clear error for a directory it cannot use', () => {
    const dir = tempDir();
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    expect(() => openSpool({ dir: join(file, 'spool') })).toThrow(SpoolError);
    expect(() => openSpool({ dir: join(file, 'spool') })).toThrow(
      /spool directory .*a-file\/spool is not usable/,
    );
  });

  it('refuses, and reports, appends after close instead of throwing', () => {
    const dropped: string[] = [];
    const spool = openSpool({ dir: tempDir(), onDrop: (_, reason) => dropped.push(reason) });
    spool.close();
    expect(spool.append(Buffer.from('late'))).toBe(false);
    expect(dropped).toEqual(['write_error']);
  });
});

describe('createOfflineStore', () => {
  const envelope = (id: string): Envelope =>
    createEnvelope({ event_id: id }, [[{ type: 'event' }, { event_id: id, message: id }]]) as Envelope;

  it('acknowledges a shifted envelope only at the next shift, and takes it back on unshift', async () => {
    const dir = tempDir();
    let spool = spoolAt(dir);
    let store = createOfflineStore(spool);
    await store.push(envelope('a'.repeat(32)));
    await store.push(envelope('b'.repeat(32)));
    const first = await store.shift();
    expect(first?.[0].event_id).toBe('a'.repeat(32));
    await store.unshift(first as Envelope); // the send failed
    expect((await store.shift())?.[0].event_id).toBe('a'.repeat(32));

    // The process dies before the next shift: the envelope is still on disk.
    spool = reopen(spool, dir);
    store = createOfflineStore(spool);
    expect((await store.shift())?.[0].event_id).toBe('a'.repeat(32));
    expect((await store.shift())?.[0].event_id).toBe('b'.repeat(32));
    expect(await store.shift()).toBeUndefined();
  });
});
