/** The topic envelopes go to, when none is configured. */
export const DEFAULT_ENVELOPE_TOPIC = 'sentry-envelopes';

/** Where a consumer puts what it can never deliver: `<topic>.dead-letter`. */
export function deadLetterTopicFor(topic: string): string {
  return `${topic}.dead-letter`;
}

/**
 * Version of the Kafka message contract (value, key, headers). A reader that meets a higher
 * version than it knows dead-letters the message instead of guessing.
 */
export const SCHEMA_VERSION = '1';

/** Kafka header names of the envelope message contract. */
export const MESSAGE_HEADERS = {
  schema: 'faultline-schema',
  dsn: 'faultline-dsn',
  itemTypes: 'faultline-item-types',
  /**
   * What the alert rules count in the envelope, written by a producer that had its events as
   * objects (`encodeObservationsHeader`), so that the alerts need not parse the envelope. Optional:
   * a message without it is read from its envelope.
   */
  observations: 'faultline-observations',
} as const;

/**
 * The headers of an envelope message: schema version, item types (so a reader can route or count
 * without parsing the value) and, when known, the public DSN the envelope belongs to and what the
 * alerts count in it.
 */
export function messageHeaders(facts: {
  dsn: string | undefined;
  types: readonly string[];
  /** The `faultline-observations` header's value, when the producer wrote one. */
  observations?: string | undefined;
}): Record<string, string> {
  const headers: Record<string, string> = {
    [MESSAGE_HEADERS.schema]: SCHEMA_VERSION,
    [MESSAGE_HEADERS.itemTypes]: facts.types.join(','),
  };
  if (facts.dsn) headers[MESSAGE_HEADERS.dsn] = facts.dsn;
  if (facts.observations !== undefined) headers[MESSAGE_HEADERS.observations] = facts.observations;
  return headers;
}

/** The message key: `<project id>:<trace id | event id>`, so one trace stays on one partition. */
export function messageKey(projectId: string, traceOrEventId: string | undefined): string {
  return `${projectId}:${traceOrEventId ?? ''}`;
}

/**
 * Whether a reader of version `SCHEMA_VERSION` can read a message with this schema header.
 * A message without the header (a producer that is not Faultline) is read as version 1.
 */
export function isReadableSchema(header: string | undefined): boolean {
  if (header === undefined || header === '') return true;
  const version = Number(header);
  return Number.isInteger(version) && version >= 1 && version <= Number(SCHEMA_VERSION);
}
