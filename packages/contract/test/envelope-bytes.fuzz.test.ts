import { envelopeBytesArbitrary, fc } from '@faultline/testkit';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_ITEMS, parseEnvelopeBytes, serializeEnvelopeBytes } from '../src/index.js';

// Property tests: random, mutated and deeply nested envelopes, as anyone with producer rights
// could write them. The parser must answer for each (never throw), and what it accepts must be
// safe to use: payloads inside the value, headers that serialize again.
const DSN = 'http://publickey@127.0.0.1:9/42';

describe('parseEnvelopeBytes on anything', () => {
  it('never throws, and what it accepts stays inside the value and serializes again', () => {
    fc.assert(
      fc.property(envelopeBytesArbitrary(DSN), (value) => {
        const parsed = parseEnvelopeBytes(value);
        if (!parsed.ok) {
          expect(typeof parsed.detail).toBe('string');
          return;
        }
        expect(parsed.items.length).toBeLessThanOrEqual(DEFAULT_MAX_ITEMS);
        for (const item of parsed.items) {
          expect(item.payload.buffer).toBe(value.buffer);
          expect(item.payload.byteOffset + item.payload.length).toBeLessThanOrEqual(
            value.byteOffset + value.length,
          );
        }
        expect(() => serializeEnvelopeBytes(parsed.header, parsed.items)).not.toThrow();
      }),
      { numRuns: 2_000 },
    );
  });
});
