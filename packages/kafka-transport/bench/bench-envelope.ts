import { createEnvelope, type Envelope } from '@sentry/core';

/**
 * The error event envelope the transport benches send: number `i`, with `fields` added to the
 * event (a tag, or a blob that sets its size).
 */
export function benchEnvelope(i: number, fields: Record<string, unknown>): Envelope {
  const id = i.toString(16).padStart(32, '0');
  return createEnvelope({ event_id: id, sent_at: new Date().toISOString() }, [
    [
      { type: 'event' },
      {
        event_id: id,
        level: 'error',
        platform: 'node',
        exception: { values: [{ type: 'Error', value: `bench failure ${i}` }] },
        ...fields,
      },
    ],
  ]) as Envelope;
}
