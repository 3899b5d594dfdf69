import { describe, expect, it } from 'vitest';
import {
  decodeObservationsHeader,
  encodeObservationsHeader,
  MAX_OBSERVATIONS_HEADER_BYTES,
  type Observation,
  observeItem,
} from '../src/index.js';

// The producer observes its items as objects; the alerts would observe them parsed from the
// envelope's bytes. The header must carry exactly the latter.
const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value));
const at = 1_800_000_000.25;
const items: [string, unknown][] = [
  [
    'event',
    {
      level: 'warning',
      release: 'shop@1.2.0',
      timestamp: at,
      exception: {
        values: [
          { type: 'RangeError', value: 'inner' },
          {
            type: 'TypeError',
            value: 'card declined',
            stacktrace: { frames: [{ filename: 'a.js', in_app: true }] },
          },
        ],
      },
      contexts: { sampling: { dropped_since_last_kept: 9 } },
    },
  ],
  ['event', { message: 'a message only', timestamp: '2027-01-15T10:00:00.000Z' }],
  ['event', { exception: { values: [{ value: `${'ÿ\u202e\t'.repeat(150)}end` }] }, timestamp: at }],
  [
    'event',
    { contexts: { sampling: { dropped_since_last_kept: 50_000 } }, timestamp: at, fingerprint: ['x'] },
  ],
  ['event', { contexts: { sampling: { dropped_since_last_kept: 1.5 } }, timestamp: at, release: '' }],
  ['transaction', { transaction: 'GET /checkout', start_timestamp: at, timestamp: at + 0.3 }],
  ['transaction', { transaction: 'backwards', start_timestamp: at, timestamp: at - 1 }],
  [
    'span',
    {
      items: [
        { name: 'GET /cart', is_segment: true, start_timestamp: at, end_timestamp: at + 0.12 },
        { name: 'db query', is_segment: false, start_timestamp: at, end_timestamp: at + 0.01 },
        { name: 'POST /pay', is_segment: true, start_timestamp: at, end_timestamp: at + 2 },
      ],
    },
  ],
  ['attachment', { not: 'observed' }],
];

describe('the observations header', () => {
  it('carries what the alerts would read from the envelope, for every kind of item', () => {
    for (const [type, payload] of items) {
      const fromObject = observeItem('42', type, payload);
      const header = encodeObservationsHeader('42', fromObject);
      expect(header, type).toBeDefined();
      expect(decodeObservationsHeader(Buffer.from(header as string)), type).toEqual(
        observeItem('42', type, roundTrip(payload)),
      );
    }
    const all = items.flatMap(([type, payload]) => observeItem('42', type, payload));
    expect(all.map((o) => o.kind)).toEqual([
      ...['error', 'error', 'error', 'error', 'error'],
      ...['duration', 'duration', 'duration'],
    ]);
    // The header keeps the cleaning and the caps: one title cut to 200, one weight capped.
    const decoded = decodeObservationsHeader(encodeObservationsHeader('42', all)) as Observation[];
    expect(decoded).toEqual(all);
    expect(decoded.map((o) => (o.kind === 'error' ? o.weight : 0))).toEqual([10, 1, 1, 1001, 1, 0, 0, 0]);
  });

  it('is not written without a project, or past its size limit (the alerts parse the envelope then)', () => {
    const one = observeItem('42', 'event', items[0]?.[1]);
    expect(encodeObservationsHeader('', one)).toBeUndefined();
    const many = Array.from({ length: 60 }, () => one).flat();
    expect(JSON.stringify(many).length).toBeGreaterThan(MAX_OBSERVATIONS_HEADER_BYTES);
    expect(encodeObservationsHeader('42', many)).toBeUndefined();
    expect(decodeObservationsHeader(encodeObservationsHeader('42', []))).toEqual([]);
  });

  const good = {
    kind: 'error',
    fingerprint: 'abc123',
    title: 'TypeError: x',
    level: 'error',
    weight: 3,
    at: 1,
  };
  const header = (observations: unknown[], project: unknown = '42') =>
    JSON.stringify({ project, observations });
  it.each([
    ['not JSON', '{"project":"42","observations":['],
    ['JSON null', 'null'],
    ['an array', '[]'],
    ['no observations', '{"project":"42"}'],
    ['a project that is not a DSN project id', header([good], '42/../1')],
    ['a numeric project', header([good], 42)],
    ['an unknown kind', header([{ ...good, kind: 'metric' }])],
    ['a null observation', header([null])],
    ['a fingerprint that is not the hash', header([{ ...good, fingerprint: 'ABC' }])],
    ['a fingerprint past 52 bits', header([{ ...good, fingerprint: 'f'.repeat(14) }])],
    ['weight 0', header([{ ...good, weight: 0 }])],
    ['a weight past the cap', header([{ ...good, weight: 1002 }])],
    ['a fractional weight', header([{ ...good, weight: 1.5 }])],
    ['a weight as a string', header([{ ...good, weight: '3' }])],
    ['no time', header([{ ...good, at: null }])],
    ['a title with a control character', header([{ ...good, title: 'a\u0007b' }])],
    ['a title with a direction override', header([{ ...good, title: 'a\u202eb' }])],
    ['a title past 200 characters', header([{ ...good, title: 'x'.repeat(201) }])],
    ['an empty release', header([{ ...good, release: '' }])],
    ['a level that is not text', header([{ ...good, level: { toString: 1 } }])],
    ['a negative duration', header([{ kind: 'duration', name: 'GET /', durationMs: -1, at: 1 }])],
    ['a duration whose name is not text', header([{ kind: 'duration', name: 7, durationMs: 1, at: 1 }])],
    ['a header over the limit', `${header([good])}${' '.repeat(MAX_OBSERVATIONS_HEADER_BYTES)}`],
  ])('is refused when it holds %s', (_, value) => {
    expect(decodeObservationsHeader(Buffer.from(value))).toBeUndefined();
  });

  it('takes each observation as its fields, nothing more (a __proto__ key sets nothing)', () => {
    const value = `{"project":"42","observations":[{"kind":"error","fingerprint":"1","title":"t","level":"error","weight":1,"at":5,"__proto__":{"polluted":1},"extra":"x"}]}`;
    const [observation] = decodeObservationsHeader(value) as Observation[];
    expect(observation).toEqual({
      kind: 'error',
      project: '42',
      fingerprint: '1',
      title: 't',
      level: 'error',
      release: undefined,
      weight: 1,
      at: 5,
    });
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
  });
});
