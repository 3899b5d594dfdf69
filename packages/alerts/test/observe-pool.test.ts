import { createEnvelope, type Envelope, serializeEnvelope } from '@sentry/core';
import { describe, expect, it } from 'vitest';
import { createObservePool, observe } from '../src/index.js';

// The built package (tests run after the build): the pool starts its workers from the built
// worker file. Imported by URL so that type-checking does not need the build.
const built: typeof import('../src/index.js') = await import(
  String(new URL('../dist/index.js', import.meta.url))
);
const createBuiltPool = built.createObservePool;

const DSN = 'http://publickey@127.0.0.1:9/42';
const envelopes = Array.from({ length: 200 }, (_, i) =>
  Buffer.from(
    serializeEnvelope(
      createEnvelope({ dsn: DSN }, [
        [
          { type: 'event' },
          {
            level: 'error',
            timestamp: 1_800_000_000 + i,
            exception: { values: [{ type: 'TypeError', value: `failure ${i % 3 ? 'alpha' : 'beta'}` }] },
            contexts: { sampling: { dropped_since_last_kept: i } },
          },
        ],
      ] as never) as Envelope,
    ) as string,
  ),
);

describe('observe pool', () => {
  it('reads a batch on worker threads exactly as the main thread does, in order', async () => {
    const pool = createBuiltPool(2);
    try {
      expect(pool.workers).toBe(2);
      expect(await pool.observe([...envelopes, Buffer.from('not an envelope')])).toEqual([
        ...envelopes.map(observe),
        undefined,
      ]);
    } finally {
      await pool.close();
    }
  });

  it('parses on the main thread where the built worker is missing (the sources, as here)', async () => {
    const pool = createObservePool(2);
    expect(pool.workers).toBe(0);
    expect(await pool.observe(envelopes.slice(0, 3))).toEqual(envelopes.slice(0, 3).map(observe));
  });
});
