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

/** Header names Faultline reads and writes on messages. */
export const FAULTLINE_HEADERS = {
  messageId: 'faultline-message-id',
  attempt: 'faultline-attempt',
  originalTopic: 'faultline-original-topic',
  originalPartition: 'faultline-original-partition',
  originalOffset: 'faultline-original-offset',
  originalTimestamp: 'faultline-original-timestamp',
  group: 'faultline-consumer-group',
  errorClass: 'faultline-error-class',
  errorMessage: 'faultline-error-message',
} as const;
