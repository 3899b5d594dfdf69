/**
 * The one dead-letter header schema, written by the forwarder (envelopes it cannot deliver) and
 * by `@faultline/kafkajs` (application messages that failed every attempt). Values are text.
 */
export const DEAD_LETTER_HEADERS = {
  /** Why it was dead-lettered, a short code (`dsn_not_allowed`, `rejected`, `failed`...). */
  reason: 'faultline-dead-letter-reason',
  /** Human-readable detail: the error message, or what was wrong. */
  errorMessage: 'faultline-error-message',
  /** The error's class, where an exception caused it. */
  errorClass: 'faultline-error-class',
  /** The HTTP status the ingest answered, where it answered. */
  status: 'faultline-ingest-status',
  originalTopic: 'faultline-original-topic',
  originalPartition: 'faultline-original-partition',
  originalOffset: 'faultline-original-offset',
  originalTimestamp: 'faultline-original-timestamp',
  /** The consumer group that gave up. */
  group: 'faultline-consumer-group',
  /** Attempts made before giving up. */
  attempt: 'faultline-attempt',
  /**
   * Set on a stub: the broker refused the message itself (too large for the dead-letter topic),
   * so the value holds only its first bytes; this header gives the original size in bytes.
   */
  truncatedFrom: 'faultline-truncated-from',
} as const;

/** Where a dead-lettered message came from. */
export interface DeadLetterOrigin {
  topic: string;
  partition: number | string;
  offset: string;
  timestamp: string;
  group?: string;
}

/** The headers that say where a dead-lettered message came from. */
export function originHeaders(origin: DeadLetterOrigin): Record<string, string> {
  const headers: Record<string, string> = {
    [DEAD_LETTER_HEADERS.originalTopic]: origin.topic,
    [DEAD_LETTER_HEADERS.originalPartition]: String(origin.partition),
    [DEAD_LETTER_HEADERS.originalOffset]: origin.offset,
    [DEAD_LETTER_HEADERS.originalTimestamp]: origin.timestamp,
  };
  if (origin.group !== undefined) headers[DEAD_LETTER_HEADERS.group] = origin.group;
  return headers;
}
