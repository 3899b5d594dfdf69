import type { DataCategory } from '@sentry/core';
import { envelopeItemTypeToDataCategory } from '@sentry/core';
import { parseRoutedDsn, type RoutedDsn } from './allow-list.js';

export interface EnvelopeLimits {
  /** Largest envelope, Relay's `max_envelope_size`. @default 100 MiB */
  maxEnvelopeBytes: number;
  /** Largest event item, Relay's `max_event_size`. @default 1 MiB */
  maxEventBytes: number;
}

export type Inspection =
  | {
      kind: 'ok';
      dsn: RoutedDsn;
      eventId: string | undefined;
      categories: DataCategory[];
      /** Parsed items: header and payload bytes, for policies that rewrite payloads. */
      items: { header: Record<string, unknown>; payload: Buffer }[];
      header: Record<string, unknown>;
    }
  | { kind: 'dead'; reason: 'malformed' | 'too_large' | 'no_dsn'; detail: string };

/**
 * Reads a message value as a Sentry envelope: header line, then items (`length`-framed or
 * newline-terminated). Checks it parses, carries a DSN, and fits the size limits.
 */
export function inspectEnvelope(value: Buffer, limits: EnvelopeLimits): Inspection {
  if (value.length > limits.maxEnvelopeBytes) {
    return {
      kind: 'dead',
      reason: 'too_large',
      detail: `envelope of ${value.length} bytes > ${limits.maxEnvelopeBytes}`,
    };
  }
  const lineEnd = (from: number) => {
    const i = value.indexOf(0x0a, from);
    return i < 0 ? value.length : i;
  };
  const json = (start: number, end: number): Record<string, unknown> | undefined => {
    try {
      const parsed = JSON.parse(value.subarray(start, end).toString('utf8'));
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  };
  const headerEnd = lineEnd(0);
  const header = json(0, headerEnd);
  if (!header)
    return { kind: 'dead', reason: 'malformed', detail: 'the envelope header is not a JSON object' };
  const items: { header: Record<string, unknown>; payload: Buffer }[] = [];
  let offset = headerEnd + 1;
  while (offset < value.length) {
    const itemHeaderEnd = lineEnd(offset);
    if (itemHeaderEnd === offset) {
      offset++; // a blank line between items
      continue;
    }
    const itemHeader = json(offset, itemHeaderEnd);
    if (!itemHeader || typeof itemHeader.type !== 'string') {
      return { kind: 'dead', reason: 'malformed', detail: `item ${items.length + 1} has no valid header` };
    }
    const start = itemHeaderEnd + 1;
    const length = itemHeader.length;
    let end: number;
    if (length === undefined) end = lineEnd(start);
    else if (
      typeof length === 'number' &&
      Number.isInteger(length) &&
      length >= 0 &&
      start + length <= value.length
    ) {
      end = start + length;
    } else {
      return {
        kind: 'dead',
        reason: 'malformed',
        detail: `item ${items.length + 1} declares a length beyond the envelope`,
      };
    }
    const payload = value.subarray(start, end);
    if (
      (itemHeader.type === 'event' || itemHeader.type === 'transaction') &&
      payload.length > limits.maxEventBytes
    ) {
      return {
        kind: 'dead',
        reason: 'too_large',
        detail: `event item of ${payload.length} bytes > ${limits.maxEventBytes}`,
      };
    }
    items.push({ header: itemHeader, payload });
    offset = end + 1;
  }
  if (typeof header.dsn !== 'string')
    return { kind: 'dead', reason: 'no_dsn', detail: 'the envelope header names no DSN' };
  const dsn = parseRoutedDsn(header.dsn);
  if (!dsn) return { kind: 'dead', reason: 'no_dsn', detail: 'the envelope header DSN does not parse' };
  return {
    kind: 'ok',
    dsn,
    eventId: typeof header.event_id === 'string' ? header.event_id : undefined,
    categories: items.map((item) => envelopeItemTypeToDataCategory(item.header.type as never)),
    items,
    header,
  };
}

/** Serializes an envelope back from its parts (after a policy rewrote a payload). */
export function serializeParts(
  header: Record<string, unknown>,
  items: { header: Record<string, unknown>; payload: Buffer }[],
): Buffer {
  const parts: Buffer[] = [Buffer.from(`${JSON.stringify(header)}\n`)];
  for (const item of items) {
    const itemHeader =
      item.header.length === undefined ? item.header : { ...item.header, length: item.payload.length };
    parts.push(Buffer.from(`${JSON.stringify(itemHeader)}\n`), item.payload, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}
