import { defaultStackParser } from '@sentry/node';
import { describe, expect, it } from 'vitest';
import { memoizeStackParser } from '../src/memoize-stack-parser.js';

// Thrown from a few sites, with messages that vary as real ones do, and messages written to look
// like stack lines: the memoized parser must give what Sentry's own parser gives, every time.
function throwFrom(site: number, message: string): Error {
  const sites = [
    () => {
      throw new Error(message);
    },
    () => {
      throw new TypeError(message);
    },
    () =>
      [1].map(() => {
        throw new RangeError(message);
      }),
  ];
  try {
    sites[site % sites.length]?.();
  } catch (error) {
    return error as Error;
  }
  throw new Error('unreachable');
}

const MESSAGES = [
  'order 4123 failed',
  'order 77 failed',
  'two\nlines',
  'looks like a frame\n    at fake (/app/fake.js:1:2)',
  // Parsed as a frame by Sentry's parser, but not where V8's frames begin: above the memo's key.
  'unindented\nat fake (/app/fake.js:1:2)',
  'Error: nested\n    at inner (/app/inner.js:3:4)\nmore',
  '',
];

describe('memoizeStackParser', () => {
  it("parses every stack exactly as Sentry's parser does, with and without lines skipped or frames popped", () => {
    const memo = memoizeStackParser(defaultStackParser);
    for (let round = 0; round < 3; round++) {
      for (let site = 0; site < 3; site++) {
        for (const message of MESSAGES) {
          const stack = throwFrom(site, `${message}${round}`).stack ?? '';
          for (const [skip, pop] of [
            [1, 0],
            [0, 0],
            [1, 1],
            [2, 0],
            [5, 0],
          ] as const) {
            expect(memo(stack, skip, pop)).toEqual(defaultStackParser(stack, skip, pop));
          }
        }
      }
    }
  });

  it('gives each call frames of its own (integrations edit them)', () => {
    const memo = memoizeStackParser(defaultStackParser);
    // One call site for both errors, so their frames are the same and the second is a memo hit.
    const [stack, second] = ['first', 'second'].map((message) => throwFrom(0, message).stack ?? '');
    if (!stack || !second) throw new Error('no stacks');
    const first = memo(stack, 1);
    const top = first[first.length - 1];
    if (!top) throw new Error('no frames');
    top.context_line = 'edited';
    top.function = 'edited';
    const again = memo(second, 1);
    expect(again).toEqual(defaultStackParser(second, 1));
    expect(again[again.length - 1]?.context_line).toBeUndefined();
  });

  it('answers stacks it does not memoize (no V8 frames, or very long) through the parser', () => {
    const memo = memoizeStackParser(defaultStackParser);
    const firefox = 'foo@http://example.com/a.js:1:2\nbar@http://example.com/b.js:3:4';
    expect(memo(firefox, 0)).toEqual(defaultStackParser(firefox, 0));
    const long = `Error: x\n${'    at f (/app/a.js:1:1)\n'.repeat(2000)}`;
    expect(memo(long, 1)).toEqual(defaultStackParser(long, 1));
  });
});
