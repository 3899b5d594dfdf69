import { DEAD_LETTER_HEADERS } from '@faultline/contract';
import type { IHeaders } from 'kafkajs';

/** A header's value as text: Buffers decoded, arrays joined with commas (duplicate keys). Exact name match. */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  // Exact names only: producers write these headers in lower case, and a scan per lookup would
  // cost every message an allocation.
  const value = headers[name];
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map((v) => v.toString()).join(',');
  return value.toString();
}

/** A copy of the headers without undefined or null values (KafkaJS throws on them when producing). */
export function cleanHeaders(
  headers: IHeaders | undefined,
): Record<string, string | Buffer | (string | Buffer)[]> {
  const out: Record<string, string | Buffer | (string | Buffer)[]> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    out[key] = value;
  }
  return out;
}

/**
 * Header names Faultline reads and writes on messages: a message id, and on retried and
 * dead-lettered messages the dead-letter schema shared with the forwarder (`@faultline/contract`).
 */
export const FAULTLINE_HEADERS = {
  messageId: 'faultline-message-id',
  attempt: DEAD_LETTER_HEADERS.attempt,
  originalTopic: DEAD_LETTER_HEADERS.originalTopic,
  originalPartition: DEAD_LETTER_HEADERS.originalPartition,
  originalOffset: DEAD_LETTER_HEADERS.originalOffset,
  originalTimestamp: DEAD_LETTER_HEADERS.originalTimestamp,
  group: DEAD_LETTER_HEADERS.group,
  errorClass: DEAD_LETTER_HEADERS.errorClass,
  errorMessage: DEAD_LETTER_HEADERS.errorMessage,
  /** On a retry: epoch milliseconds before which the consumer does not run it again. */
  notBefore: 'faultline-not-before',
} as const;
