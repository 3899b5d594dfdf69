import { parseDsnCached, parseEnvelopeBytes } from '@faultline/contract';
import { contractMessage, type EnvelopeMessage } from './envelope-message.js';

/**
 * Rebuilds the Kafka message (key and headers) for envelope bytes read back from the spool,
 * from the envelope's own header line and item headers. Undefined when the bytes are not an
 * envelope.
 */
export function messageFromBytes(value: Buffer): EnvelopeMessage | undefined {
  const parsed = parseEnvelopeBytes(value);
  if (!parsed.ok) return undefined;
  const header = parsed.header as { dsn?: unknown; event_id?: unknown; trace?: { trace_id?: unknown } };
  const dsn = typeof header.dsn === 'string' ? header.dsn : undefined;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return contractMessage(value, {
    dsn,
    projectId: (dsn && parseDsnCached(dsn)?.projectId) ?? '',
    traceId: text(header.trace?.trace_id),
    eventId: text(header.event_id),
    types: parsed.items.map((item) => item.header.type),
  });
}

/** Item types, read from the item header lines (honouring `length` where given). */
export function itemTypes(value: Buffer): string[] {
  const parsed = parseEnvelopeBytes(value);
  return parsed.ok ? parsed.items.map((item) => item.header.type) : [];
}
