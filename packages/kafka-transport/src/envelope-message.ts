import {
  MAX_OBSERVED_ITEM_BYTES,
  MESSAGE_HEADERS,
  messageHeaders,
  messageKey,
  observationsHeaderFor,
  parseDsnCached,
  SCHEMA_VERSION,
} from '@faultline/contract';
import {
  type DataCategory,
  type Envelope,
  envelopeItemTypeToDataCategory,
  serializeEnvelope,
} from '@sentry/core';
import type { Message } from 'kafkajs';
import type { IngestTarget } from './ingest-target.js';

/** Kafka header names of the message contract (kept under this name for existing imports). */
export const HEADERS = MESSAGE_HEADERS;
export { SCHEMA_VERSION };

export interface EnvelopeMessage {
  message: Message & { value: Buffer };
  /** The data categories of its items, to count it if it is dropped. */
  categories: DataCategory[];
}

/**
 * The message contract in one place: key `<project id>:<trace id | event id>` (one trace stays on
 * one partition) and the schema, item-type and public-DSN headers, around the envelope bytes.
 * Used for fresh envelopes and for envelopes read back from the spool alike.
 */
export function contractMessage(
  value: Buffer,
  facts: {
    dsn: string | undefined;
    projectId: string;
    traceId: string | undefined;
    eventId: string | undefined;
    types: string[];
    /** The `faultline-observations` header's value, when there is one. */
    observations?: string | undefined;
  },
): EnvelopeMessage {
  return {
    message: {
      key: messageKey(facts.projectId, facts.traceId ?? facts.eventId),
      value,
      headers: messageHeaders(facts),
    },
    categories: facts.types.map((type) =>
      envelopeItemTypeToDataCategory(type as Parameters<typeof envelopeItemTypeToDataCategory>[0]),
    ),
  };
}

/**
 * The Kafka message for an envelope. Value: the serialized envelope, byte for byte what the SDK
 * would POST, with the public DSN in its header (the forwarder routes by it); key and headers as
 * in `contractMessage`.
 */
export function toEnvelopeMessage(envelope: Envelope, target: IngestTarget | undefined): EnvelopeMessage {
  const [header, items] = envelope;
  if (target && !header.dsn) header.dsn = target.dsn;
  const serialized = serializeEnvelope(envelope);
  const value = typeof serialized === 'string' ? Buffer.from(serialized, 'utf8') : Buffer.from(serialized);
  return contractMessage(value, {
    dsn: target?.dsn,
    projectId: target?.projectId ?? '',
    traceId: (header.trace as { trace_id?: string } | undefined)?.trace_id,
    eventId: header.event_id as string | undefined,
    types: items.map(([itemHeader]) => itemHeader.type),
    observations: value.length > MAX_OBSERVED_ITEM_BYTES ? undefined : observationsHeader(envelope),
  });
}

/**
 * What the alerts count in the envelope, from its items as objects: the alerts then read the
 * header, not the envelope (parsing each event is most of their work). The project is the
 * envelope's own DSN's, as the alerts and the forwarder read it. An envelope over Sentry's item
 * limit gets none: its items may be too large to be observed, and the alerts decide that.
 */
function observationsHeader(envelope: Envelope): string | undefined {
  const dsn = envelope[0].dsn;
  const project = typeof dsn === 'string' ? parseDsnCached(dsn)?.projectId : undefined;
  if (!project) return undefined;
  return observationsHeaderFor(
    project,
    envelope[1].map(([itemHeader, payload]) => [itemHeader.type, payload] as const),
  );
}
