import { MESSAGE_HEADERS } from '@faultline/contract';
import { toEnvelopeMessage } from '@faultline/kafka-transport';
import { createEnvelope, type Envelope } from '@sentry/core';
import * as Sentry from '@sentry/node';
import type { KafkaMessage } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { createObservePool, type Observation, observe } from '../src/index.js';
import { observeMessages } from '../src/observe-messages.js';

// Envelopes as the real SDK builds them, turned into Kafka messages by Faultline's transport: the
// observations header the transport writes must say what the alerts would read from the bytes.
const DSN = 'http://publickey@127.0.0.1:9/42';
const target = { dsn: DSN, projectId: '42' };

async function sdkEnvelopes(capture: () => void): Promise<Envelope[]> {
  const envelopes: Envelope[] = [];
  Sentry.init({
    dsn: DSN,
    release: 'shop@2.0.0',
    tracesSampleRate: 1,
    transport: () => ({
      send: async (envelope) => {
        envelopes.push(envelope);
        return {};
      },
      flush: async () => true,
    }),
  });
  capture();
  await Sentry.flush(2000);
  return envelopes;
}
afterEach(() => Sentry.close(0));

const message = (value: Buffer, headers: KafkaMessage['headers'] = {}): KafkaMessage =>
  ({ value, headers, offset: '0', key: null, timestamp: '0', attributes: 0 }) as KafkaMessage;

describe('observations from the header', () => {
  it('the transport writes what the alerts would read from the envelope, for the real SDK’s events and spans', async () => {
    const envelopes = await sdkEnvelopes(() => {
      Sentry.captureException(new TypeError('card declined for order 1234'));
      Sentry.captureException(new Error(`über ${'\u202e'.repeat(3)}\n${'long '.repeat(80)}`));
      Sentry.captureMessage('disk almost full', 'warning');
      Sentry.captureEvent({
        exception: { values: [{ type: 'TypeError', value: 'storm' }] },
        contexts: { sampling: { dropped_since_last_kept: 41 } },
      });
      Sentry.startSpan({ name: 'GET /checkout', op: 'http.server' }, () => {
        Sentry.startSpan({ name: 'db query', op: 'db' }, () => undefined);
      });
    });
    const kinds: string[] = [];
    for (const envelope of envelopes) {
      const { message: kafkaMessage } = toEnvelopeMessage(envelope, target);
      const header = kafkaMessage.headers?.[MESSAGE_HEADERS.observations];
      expect(header, 'the transport wrote no observations header').toBeTypeOf('string');
      const counts = { fromHeader: 0, badObservationHeaders: 0 };
      const [fromHeader] = await observeMessages(
        createObservePool(0),
        [message(kafkaMessage.value, { [MESSAGE_HEADERS.observations]: Buffer.from(header as string) })],
        counts,
      );
      expect(counts).toEqual({ fromHeader: 1, badObservationHeaders: 0 });
      expect(fromHeader).toEqual(observe(kafkaMessage.value));
      kinds.push(...(fromHeader ?? []).map((o) => o.kind));
    }
    // The four errors, and the one segment span (its child is not an operation of its own).
    expect(kinds.sort()).toEqual(['duration', 'error', 'error', 'error', 'error']);
  });

  it('writes no header for an event whose JSON would read differently (a beforeSend may set anything): the alerts parse it', async () => {
    const envelope = createEnvelope({ dsn: DSN }, [
      [
        { type: 'event' },
        {
          exception: { values: [{ type: Number.NEGATIVE_INFINITY, value: 'odd' }] },
          release: new Date(0),
          extra: { callback: () => undefined },
          timestamp: 1_800_000_000,
        },
      ],
    ] as never) as Envelope;
    const { message: written } = toEnvelopeMessage(envelope, target);
    expect(written.headers?.[MESSAGE_HEADERS.observations]).toBeUndefined();
    const counts = { fromHeader: 0, badObservationHeaders: 0 };
    const [read] = await observeMessages(createObservePool(0), [message(written.value)], counts);
    expect(counts).toEqual({ fromHeader: 0, badObservationHeaders: 0 });
    // Read from the bytes: the type is null there, the release an ISO date.
    expect(read).toMatchObject([{ kind: 'error', title: 'Error: odd', release: '1970-01-01T00:00:00.000Z' }]);
  });

  it('reads headers in place and parses the rest, in order; a bad header is counted and the envelope parsed', async () => {
    const envelopes = await sdkEnvelopes(() => Sentry.captureException(new TypeError('in order')));
    const envelope = envelopes.find(([, items]) => items.some(([item]) => item.type === 'event'));
    const { message: written } = toEnvelopeMessage(envelope as Envelope, target);
    const good = Buffer.from(written.headers?.[MESSAGE_HEADERS.observations] as string);
    const expected = observe(written.value) as Observation[];
    expect(expected).toHaveLength(1);
    const batch = [
      // A value that is not an envelope: read from the header, so it is never parsed.
      message(Buffer.from('not an envelope'), { [MESSAGE_HEADERS.observations]: good }),
      message(written.value),
      message(written.value, { [MESSAGE_HEADERS.observations]: Buffer.from('{"project":"42"') }),
      message(Buffer.from('not an envelope'), { [MESSAGE_HEADERS.observations]: [good, good] }),
      message(written.value, { [MESSAGE_HEADERS.observations]: good }),
    ];
    const counts = { fromHeader: 0, badObservationHeaders: 0 };
    expect(await observeMessages(createObservePool(0), batch, counts)).toEqual([
      expected,
      expected,
      expected,
      undefined,
      expected,
    ]);
    expect(counts).toEqual({ fromHeader: 2, badObservationHeaders: 2 });
  });
});
