import { fc } from '@faultline/testkit';
import { describe, expect, it } from 'vitest';
import { cleanText, notificationText } from '../src/notification-text.js';

describe('notificationText', () => {
  it('gives what the full cleaning gives, for any string, the shortcut for plain ASCII included', () => {
    // Characters the cleaning treats apart: spaces and other whitespace, controls, direction
    // marks and overrides, DEL and C1, non-ASCII, and plain letters.
    const char = fc.constantFrom(
      ...' \t\n\r\u000b\u000c\u00a0\u2028\u3000\u0000\u001f\u007f\u0085\u009f\u200e\u202e\u2066\u2069é€aZ0~!',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: char, maxLength: 30 }),
          fc.string({ maxLength: 250 }),
          fc.string({ unit: 'binary', maxLength: 40 }),
        ),
        (value) => {
          expect(notificationText(value)).toBe(cleanText(value));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('keeps plain titles as they are and cuts long ones', () => {
    expect(notificationText('TypeError: failure alpha')).toBe('TypeError: failure alpha');
    expect(notificationText(' padded  twice ')).toBe('padded twice');
    expect(notificationText('x'.repeat(201))).toBe(`${'x'.repeat(199)}…`);
    expect(notificationText('x'.repeat(200))).toBe('x'.repeat(200));
    expect(notificationText(42)).toBe('');
  });
});
