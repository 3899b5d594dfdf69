import { messageHeaders, messageKey, parseDsnCached, parseEnvelopeBytes } from '@faultline/contract';

/** An envelope on its way to the topic: the bytes, and the message key and headers of the contract. */
export interface EnvelopeRecord {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** The message for envelope bytes whose header and item types are known (a request just read). */
export function envelopeRecord(
  value: Buffer,
  facts: { dsn: string; projectId: string; traceId?: string; eventId?: string; types: string[] },
): EnvelopeRecord {
  return {
    key: messageKey(facts.projectId, facts.traceId ?? facts.eventId),
    value,
    headers: messageHeaders({ dsn: facts.dsn, types: facts.types }),
  };
}

/** The message again for bytes read back from the spool: everything it needs is in the envelope. */
export function recordFromBytes(value: Buffer): EnvelopeRecord {
  const parsed = parseEnvelopeBytes(value);
  if (!parsed.ok) return { key: ':', value, headers: messageHeaders({ dsn: undefined, types: [] }) };
  const header = parsed.header as { dsn?: unknown; event_id?: unknown; trace?: { trace_id?: unknown } };
  const dsn = typeof header.dsn === 'string' ? header.dsn : '';
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return envelopeRecord(value, {
    dsn,
    projectId: parseDsnCached(dsn)?.projectId ?? '',
    traceId: text(header.trace?.trace_id),
    eventId: text(header.event_id),
    types: parsed.items.map((item) => item.header.type),
  });
}
