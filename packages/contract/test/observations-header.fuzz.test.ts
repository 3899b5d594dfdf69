import { fc } from '@faultline/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeObservationsHeader, encodeObservationsHeader, observeItem } from '../src/index.js';

// Property tests. Whatever an event holds in the fields the alerts read, the header the producer
// writes from the event as an object must decode to what the alerts would read from the event's
// JSON; and no header, however crafted, makes the decoder throw.
const anyValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);
const exception = fc.record(
  {
    type: anyValue,
    value: anyValue,
    stacktrace: fc.constant({ frames: [{ filename: 'a.js', in_app: true }] }),
  },
  { requiredKeys: [] },
);
const event = fc.record(
  {
    level: anyValue,
    release: anyValue,
    message: anyValue,
    timestamp: fc.oneof(anyValue, fc.double({ min: 0, max: 4e9, noNaN: true })),
    fingerprint: fc.array(fc.oneof(fc.string(), fc.constant('{{ default }}')), { maxLength: 3 }),
    exception: fc.record({ values: fc.oneof(fc.array(exception, { maxLength: 3 }), anyValue) }),
    contexts: fc.record({
      sampling: fc.record({
        dropped_since_last_kept: fc.oneof(anyValue, fc.integer({ min: -5, max: 5000 })),
      }),
    }),
  },
  { requiredKeys: [] },
);
const span = fc.record(
  {
    name: anyValue,
    is_segment: fc.oneof(fc.boolean(), anyValue),
    start_timestamp: fc.oneof(anyValue, fc.double({ min: 0, max: 4e9, noNaN: true })),
    end_timestamp: fc.oneof(anyValue, fc.double({ min: 0, max: 4e9, noNaN: true })),
  },
  { requiredKeys: [] },
);
const transaction = fc.record(
  { transaction: anyValue, start_timestamp: anyValue, timestamp: anyValue },
  { requiredKeys: [] },
);
const item = fc.oneof(
  fc.tuple(fc.constant('event'), event),
  fc.tuple(fc.constant('transaction'), transaction),
  fc.tuple(fc.constant('span'), fc.record({ items: fc.array(span, { maxLength: 4 }) })),
);

// An error without a usable timestamp is stamped when it is observed (Date.now()): one frozen
// clock, so that the two observations of an item are comparable field for field.
beforeAll(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(1_800_000_000_000);
});
afterAll(() => vi.useRealTimers());

describe('the observations header on anything', () => {
  it('decodes to what the alerts would read from the item’s JSON', () => {
    fc.assert(
      fc.property(item, ([type, payload]) => {
        const json = JSON.parse(JSON.stringify(payload));
        const fromJson = observeItem('42', type, json);
        const header = encodeObservationsHeader('42', observeItem('42', type, payload));
        if (header === undefined) return; // over the size limit: the alerts parse the envelope
        expect(decodeObservationsHeader(Buffer.from(header))).toEqual(fromJson);
      }),
      { numRuns: 3_000 },
    );
  });

  it('never throws on a crafted header, and what it accepts is well formed', () => {
    const crafted = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .array(
          fc.record(
            {
              kind: fc.constantFrom('error', 'duration'),
              fingerprint: anyValue,
              title: anyValue,
              level: anyValue,
              release: anyValue,
              weight: anyValue,
              at: anyValue,
              name: anyValue,
              durationMs: anyValue,
            },
            { requiredKeys: ['kind'] },
          ),
        )
        .map((observations) => JSON.stringify({ project: '42', observations })),
    );
    fc.assert(
      fc.property(crafted, (value) => {
        const decoded = decodeObservationsHeader(value);
        for (const o of decoded ?? []) {
          expect(Number.isFinite(o.at)).toBe(true);
          if (o.kind === 'error') expect(o.weight >= 1 && o.weight <= 1001).toBe(true);
          else expect(o.durationMs >= 0 && typeof o.name === 'string').toBe(true);
        }
      }),
      { numRuns: 3_000 },
    );
  });
});
