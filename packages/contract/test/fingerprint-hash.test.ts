import { describe, expect, it } from 'vitest';
import { fingerprintHash, normalizeMessage } from '../src/index.js';

// fingerprintHash is a hand-tuned one-pass loop; this is its definition, written plainly: both
// hashes over the readable parts (the message normalized), each part followed by a NUL. Alert
// state keys are made of these hashes, so the fast loop must never drift from the definition.
function reference(type: string, message: string, file: string, fn: string): number {
  let a = 0x811c9dc5 | 0;
  let b = 0x2f7a3c51;
  for (const part of [type, normalizeMessage(message), file, fn]) {
    for (const ch of `${part}\u0000`) {
      for (let k = 0; k < ch.length; k++) {
        const code = ch.charCodeAt(k);
        a = Math.imul(a ^ code, 0x01000193);
        b = Math.imul(b ^ code, 0x5bd1e995);
        b ^= b >>> 13;
      }
    }
  }
  return (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff);
}

const WORDS = [
  'user',
  'DEADBEEFCAFE',
  'Deadbeef',
  '4123',
  'not found',
  '0x1f',
  'deadbeefcafe',
  'ABCDEF12',
  'abcdefg',
  'é',
  '_x9',
  '550e8400-e29b-41d4-a716-446655440000',
  'a-b',
  '日本',
];
const SEPARATORS = [' ', '-', ':', '', '/', '--'];

describe('fingerprintHash', () => {
  it('equals its plain definition on 20,000 generated messages (ids, hex, UUIDs, non-ASCII, past 200 characters)', () => {
    let seed = 7;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      let message = '';
      const words = next(i % 100 === 0 ? 80 : 12);
      for (let k = 0; k < words; k++)
        message += `${WORDS[next(WORDS.length)]}${SEPARATORS[next(SEPARATORS.length)]}`;
      const event = {
        exception: {
          values: [
            {
              type: 'TypeError',
              value: message,
              stacktrace: { frames: [{ filename: 'app/a.js', function: 'run', in_app: true }] },
            },
          ],
        },
      };
      expect(fingerprintHash(event), JSON.stringify(message)).toBe(
        reference('TypeError', message, 'app/a.js', 'run'),
      );
    }
  });
});
