import {
  type DataCategory,
  type Envelope,
  envelopeItemTypeToDataCategory,
  serializeEnvelope,
} from '@sentry/core';
import type { Message } from 'kafkajs';
import type { IngestTarget } from './ingest-target.js';

/** Version of the Kafka message contract (value, key, headers) that the forwarder reads. */
export const SCHEMA_VERSION = '1';

/** Kafka header names of the message contract. */
export const HEADERS = {
  schema: 'faultline-schema',
  dsn: 'faultline-dsn',
  itemTypes: 'faultline-item-types',
} as const;

export interface EnvelopeMessage {
  message: Message & { value: Buffer };
  /** The data categories of its items, to count it if it is dropped. */
  categories: DataCategory[];
}

/**
 * The Kafka message for an envelope. Value: the serialized envelope, byte for byte what the SDK
 * would POST, with the public DSN in its header (the forwarder routes by it). Key: project id
 * plus trace id (or event id), so one trace stays on one partition. Headers: schema version,
 * public DSN, item types.
 */
export function toEnvelopeMessage(envelope: Envelope, target: IngestTarget | undefined): EnvelopeMessage {
  const [header, items] = envelope;
  if (target && !header.dsn) header.dsn = target.dsn;
  const serialized = serializeEnvelope(envelope);
  const value = typeof serialized === 'string' ? Buffer.from(serialized, 'utf8') : Buffer.from(serialized);
  const types = items.map(([itemHeader]) => itemHeader.type);
  const traceId = (header.trace as { trace_id?: string } | undefined)?.trace_id;
  const id = traceId ?? (header.event_id as string | undefined) ?? '';
  const headers: Record<string, string> = {
    [HEADERS.schema]: SCHEMA_VERSION,
    [HEADERS.itemTypes]: types.join(','),
  };
  if (target) headers[HEADERS.dsn] = target.dsn;
  return {
    message: { key: `${target?.projectId ?? ''}:${id}`, value, headers },
    categories: types.map((type) => envelopeItemTypeToDataCategory(type)),
  };
}
