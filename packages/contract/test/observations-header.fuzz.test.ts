import { fc } from '@faultline/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  decodeObservationsHeader,
  encodeObservationsHeader,
  type Observation,
  observeItem,
  observeUnserialized,
} from '../src/index.js';

// Property tests. Whatever an event holds in the fields the alerts read, the header the producer
// writes from the event as an object must decode to what the alerts would read from the event's
// JSON; and no header, however crafted, makes the decoder throw.
// Scalars: what SDK events hold where the alerts read, and JSON keeps as they are.
const scalarValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);
// And what a beforeSend may set besides: values whose JSON form differs from the object.
const anyValue = fc.oneof(
  scalarValue,
  fc.double(),
  fc.date({ noInvalidDate: true }),
  fc.constant(() => 'a function'),
  fc.constant(new (class Tagged {})()),
  fc.constant([Number.NaN, undefined]),
  fc.constant({ length: 2 }),
);

/** Events, transactions and span containers with `value` in every field the alerts read. */
function items(value: fc.Arbitrary<unknown>) {
  const time = fc.oneof(value, fc.double({ min: 0, max: 4e9, noNaN: true }));
  const exception = fc.record(
    {
      type: value,
      value,
      stacktrace: fc.record({
        frames: fc.array(
          fc.record(
            { filename: value, module: value, function: value, in_app: fc.oneof(fc.boolean(), value) },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
      }),
    },
    { requiredKeys: [] },
  );
  const event = fc.record(
    {
      level: value,
      release: value,
      message: value,
      logentry: fc.record({ message: value }),
      timestamp: time,
      // In an array JSON writes `undefined` as null: not a value an SDK's fingerprint holds.
      fingerprint: fc.array(
        fc.oneof(
          fc.string(),
          fc.constant('{{ default }}'),
          value.filter((piece) => piece !== undefined),
        ),
        { maxLength: 3 },
      ),
      exception: fc.record({ values: fc.oneof(fc.array(exception, { maxLength: 3 }), value) }),
      contexts: fc.record({
        sampling: fc.record({ dropped_since_last_kept: fc.oneof(value, fc.integer({ min: -5, max: 5000 })) }),
      }),
    },
    { requiredKeys: [] },
  );
  const span = fc.record(
    { name: value, is_segment: fc.oneof(fc.boolean(), value), start_timestamp: time, end_timestamp: time },
    { requiredKeys: [] },
  );
  const transaction = fc.record(
    { transaction: value, start_timestamp: time, timestamp: time },
    { requiredKeys: [] },
  );
  // Errors grouped by their exception, not an own fingerprint: their top frame is read too.
  const frame = fc.record(
    { filename: value, module: value, function: value, in_app: fc.oneof(fc.boolean(), value) },
    { requiredKeys: [] },
  );
  const thrown = fc.record({
    exception: fc.record({
      values: fc.array(
        fc.record({
          type: value,
          value,
          stacktrace: fc.record({ frames: fc.array(frame, { minLength: 1, maxLength: 3 }) }),
        }),
        { minLength: 1, maxLength: 2 },
      ),
    }),
    timestamp: time,
  });
  return fc.oneof(
    fc.tuple(fc.constant('event'), event),
    fc.tuple(fc.constant('event'), thrown),
    fc.tuple(fc.constant('transaction'), transaction),
    fc.tuple(fc.constant('span'), fc.record({ items: fc.array(span, { maxLength: 4 }) })),
  );
}

/** What the alerts read from the item's JSON; undefined where they find the message unreadable. */
function fromJson(type: string, payload: unknown): Observation[] | undefined {
  try {
    return observeItem('42', type, JSON.parse(JSON.stringify(payload)));
  } catch {
    return undefined;
  }
}

// An error without a usable timestamp is stamped when it is observed (Date.now()): one frozen
// clock, so that the two observations of an item are comparable field for field.
beforeAll(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(1_800_000_000_000);
});
afterAll(() => vi.useRealTimers());

describe('the observations header on anything', () => {
  it('is written for items of scalars, as SDK events are, and decodes to what the alerts read from their JSON', () => {
    fc.assert(
      fc.property(items(scalarValue), ([type, payload]) => {
        const observed = observeUnserialized('42', type, payload);
        const expected = fromJson(type, payload);
        if (expected === undefined) return expect(observed).toBeUndefined();
        expect(observed).toBeDefined();
        const header = encodeObservationsHeader('42', observed as Observation[]);
        if (header === undefined) return; // over the size limit: the alerts parse the envelope
        expect(decodeObservationsHeader(Buffer.from(header))).toEqual(expected);
      }),
      { numRuns: 3_000 },
    );
  });

  it('with any value, decodes to what the alerts read from the JSON, or is not written', () => {
    fc.assert(
      fc.property(items(anyValue), ([type, payload]) => {
        const observed = observeUnserialized('42', type, payload);
        if (observed === undefined) return; // not written: the alerts parse the envelope
        const header = encodeObservationsHeader('42', observed);
        if (header === undefined) return;
        expect(decodeObservationsHeader(Buffer.from(header))).toEqual(fromJson(type, payload));
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
