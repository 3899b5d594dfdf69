import fs, { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client, Event, EventHint } from '@sentry/core';
import { contextLinesIntegration } from '@sentry/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shareContextLineReads } from '../src/share-context-line-reads.js';

// Sentry's own ContextLines integration reading real files. fs.createReadStream is wrapped (and
// Node's ESM view of fs synced) only to count the streams it opens per file.
const dir = mkdtempSync(join(tmpdir(), 'faultline-contextlines-'));
const opened = new Map<string, number>();
const createReadStream = fs.createReadStream;
beforeAll(() => {
  (fs as { createReadStream: typeof fs.createReadStream }).createReadStream = ((path, options) => {
    opened.set(String(path), (opened.get(String(path)) ?? 0) + 1);
    return createReadStream(path, options);
  }) as typeof fs.createReadStream;
  syncBuiltinESMExports();
});
afterAll(() => {
  (fs as { createReadStream: typeof fs.createReadStream }).createReadStream = createReadStream;
  syncBuiltinESMExports();
  rmSync(dir, { recursive: true, force: true });
});

function sourceFile(name: string, lines: number): string {
  const path = join(dir, name);
  writeFileSync(path, Array.from({ length: lines }, (_, i) => `line ${i + 1} of ${name}`).join('\n'));
  return path;
}

function eventAt(filename: string, lineno: number): Event {
  return {
    exception: { values: [{ type: 'Error', value: 'x', stacktrace: { frames: [{ filename, lineno }] } }] },
  };
}

const client = { getDataCollectionOptions: () => ({}) } as unknown as Client;
const hint: EventHint = {};

describe('shareContextLineReads', () => {
  it('reads a file once for a burst of 300 events from it, and every event gets its lines', async () => {
    const file = sourceFile('burst.js', 50);
    const shared = shareContextLineReads(contextLinesIntegration());
    const events = await Promise.all(
      Array.from({ length: 300 }, () => shared.processEvent?.(eventAt(file, 20), hint, client)),
    );
    expect(opened.get(file)).toBe(1);
    for (const event of events) {
      const frame = (event as Event).exception?.values?.[0]?.stacktrace?.frames?.[0];
      expect(frame?.context_line).toBe('line 20 of burst.js');
      expect(frame?.pre_context?.at(-1)).toBe('line 19 of burst.js');
    }
  });

  it('reads each file once when events name different files', async () => {
    const shared = shareContextLineReads(contextLinesIntegration());
    const files = ['a.js', 'b.js', 'c.js'].map((name) => sourceFile(name, 10));
    const events = await Promise.all(
      files.flatMap((file) => [1, 2].map(() => shared.processEvent?.(eventAt(file, 5), hint, client))),
    );
    for (const file of files) expect(opened.get(file)).toBe(1);
    expect(
      events.map((event) => (event as Event).exception?.values?.[0]?.stacktrace?.frames?.[0]?.context_line),
    ).toEqual(['a.js', 'a.js', 'b.js', 'b.js', 'c.js', 'c.js'].map((name) => `line 5 of ${name}`));
  });

  it('keeps the events that waited on a file that cannot be read, without lines', async () => {
    const shared = shareContextLineReads(contextLinesIntegration());
    const missing = join(dir, 'missing.js');
    const events = await Promise.all(
      Array.from({ length: 20 }, () => shared.processEvent?.(eventAt(missing, 3), hint, client)),
    );
    expect(events.filter(Boolean)).toHaveLength(20);
    for (const event of events)
      expect((event as Event).exception?.values?.[0]?.stacktrace?.frames?.[0]?.context_line).toBeUndefined();
  });
});
