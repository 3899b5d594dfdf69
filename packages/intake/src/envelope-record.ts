import {
  type EnvelopeItemBytes,
  MAX_OBSERVED_ITEM_BYTES,
  messageHeaders,
  messageKey,
  observationsHeaderFor,
  parseDsnCached,
  parseEnvelopeBytes,
} from '@faultline/contract';

/** An envelope on its way to the topic: the bytes, and the message key and headers of the contract. */
export interface EnvelopeRecord {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** The message for envelope bytes whose header and item types are known (a request just read). */
export function envelopeRecord(
  value: Buffer,
  facts: {
    dsn: string;
    projectId: string;
    traceId?: string;
    eventId?: string;
    types: string[];
    /** The `faultline-observations` header's value, when there is one. */
    observations?: string;
  },
): EnvelopeRecord {
  return {
    key: messageKey(facts.projectId, facts.traceId ?? facts.eventId),
    value,
    headers: messageHeaders({ dsn: facts.dsn, types: facts.types, observations: facts.observations }),
  };
}

/**
 * The `faultline-observations` header for the items of a request: observed from their JSON as
 * the intake parsed it, so that the alerts need not parse the envelope again. An item over
 * Sentry's event limit is not observed, as the alerts would not parse it.
 */
export function observationsOf(
  projectId: string,
  items: readonly EnvelopeItemBytes[],
  parsed: ReadonlyMap<EnvelopeItemBytes, unknown>,
): string | undefined {
  return observationsHeaderFor(
    projectId,
    items
      .filter((item) => item.payload.length <= MAX_OBSERVED_ITEM_BYTES && parsed.has(item))
      .map((item) => [item.header.type, parsed.get(item)] as const),
  );
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
