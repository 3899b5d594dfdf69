import { DEFAULT_SIZE_LIMITS, parseDsn } from '@faultline/contract';
import { createScrubber } from '@faultline/scrubbing';
import { envelopeBytesArbitrary, fc, hostileMessages, incompressibleEvent } from '@faultline/testkit';
import { describe, expect, it } from 'vitest';
import type { DeadLetterReason, MessageOrigin } from '../src/dead-letter.js';
import { createEnvelopeDelivery } from '../src/deliver-envelope.js';
import { createMetricsRegistry } from '../src/metrics.js';
import type { OutcomeReporter } from '../src/outcome-reporter.js';
import { createProjectLimiter } from '../src/policies.js';
import { createRateLimitBook } from '../src/rate-limit-book.js';
import { createRecentIds } from '../src/recent-ids.js';
import { createUpstreamGate } from '../src/upstream-gate.js';

// Property tests of one message's whole path through the forwarder (inspection, allow-list,
// scrubbing, breadcrumb trimming, the request): every message finishes, delivered or
// dead-lettered with a known reason, and the delivery never rejects. The parts are the real ones;
// the ingest is a double that accepts everything at once, since what is under test here is what
// the forwarder does with the bytes before any answer.
const DSN = 'http://publickey@127.0.0.1:9/42';
const REASONS: DeadLetterReason[] = [
  'malformed',
  'too_large',
  'no_dsn',
  'unknown_schema',
  'dsn_not_allowed',
  'rejected',
  'internal',
];

function delivery(scrub = true) {
  const dead: DeadLetterReason[] = [];
  let posted = 0;
  const { figures, observeLatency } = createMetricsRegistry(() => ({}));
  const outcomes: OutcomeReporter = {
    record: () => undefined,
    flush: async () => undefined,
    stop: () => undefined,
  } as unknown as OutcomeReporter;
  const allowed = parseDsn(DSN);
  const deliver = createEnvelopeDelivery({
    limits: { ...DEFAULT_SIZE_LIMITS },
    isAllowed: (dsn) => dsn.publicKey === allowed?.publicKey && dsn.projectId === allowed?.projectId,
    upstream: undefined,
    delivered: createRecentIds(1000),
    overProjectLimit: createProjectLimiter(undefined),
    maxBreadcrumbs: 5,
    scrubber: scrub ? createScrubber() : undefined,
    rateLimits: createRateLimitBook(),
    maxRateLimitWaitMs: 1000,
    gate: createUpstreamGate({ maxConcurrency: 16 }),
    poster: {
      post: async () => {
        posted++;
        return { status: 200, retryAfter: null, rateLimits: null };
      },
      close: () => undefined,
    },
    deadLetter: async (_origin, reason) => {
      dead.push(reason);
    },
    outcomes,
    backoff: { initialMs: 1, maxMs: 1 },
    figures,
    observeLatency,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  return { deliver, dead, posted: () => posted };
}

const origin = (value: Buffer, offset = 0, headers: Record<string, string> = {}): MessageOrigin => ({
  topic: 'sentry-envelopes',
  partition: 0,
  message: { key: null, value, offset: String(offset), timestamp: '0', attributes: 0, headers } as never,
});
// Kafka headers are anyone's to write too: the schema version most of all.
const kafkaHeaders = fc.oneof(
  fc.constant({}),
  fc.record({
    'faultline-schema': fc.oneof(
      fc.constantFrom('1', '2', '0', '-1', '1e9', ''),
      fc.string({ maxLength: 20 }),
    ),
  }),
);

describe('one message through the forwarder, on anything', () => {
  it('always finishes: delivered or dead-lettered with a known reason, never a rejection', async () => {
    const { deliver, dead, posted } = delivery();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(envelopeBytesArbitrary(DSN), kafkaHeaders, async (value, headers) => {
        const deadBefore = dead.length;
        const postedBefore = posted();
        const finished = await deliver(origin(value, runs++, headers), new AbortController().signal);
        expect(finished).toBe(true);
        const outcomes = dead.length - deadBefore + (posted() - postedBefore);
        // One message, at most one outcome (dropped by policy or de-duplicated: none).
        expect(outcomes).toBeLessThanOrEqual(1);
        for (const reason of dead.slice(deadBefore)) {
          expect(REASONS).toContain(reason);
          // `internal` is the safety net for a throw: on these inputs every step must decide itself.
          expect(reason).not.toBe('internal');
        }
      }),
      { numRuns: 1_500 },
    );
  });

  it('finishes each crafted message of issue 22 as the corpus says (no scrubbing, as the forwarder runs by default)', async () => {
    const { deliver, dead, posted } = delivery(false);
    for (const message of [
      ...hostileMessages(DSN),
      { name: 'incompressible', value: incompressibleEvent(DSN, 2 << 20), forwarder: 'too_large' },
    ]) {
      const deadBefore = dead.length;
      const postedBefore = posted();
      expect(await deliver(origin(message.value), new AbortController().signal)).toBe(true);
      if (message.forwarder === 'delivered')
        expect([message.name, posted() - postedBefore]).toEqual([message.name, 1]);
      else expect([message.name, dead.slice(deadBefore)]).toEqual([message.name, [message.forwarder]]);
    }
  });
});
