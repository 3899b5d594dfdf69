import { contractMessage, type EnvelopeMessage } from './envelope-message.js';

/**
 * Rebuilds the Kafka message (key and headers) for envelope bytes read back from the spool,
 * from the envelope's own header line and item headers. Undefined when the bytes are not an
 * envelope.
 */
export function messageFromBytes(value: Buffer): EnvelopeMessage | undefined {
  const firstLineEnd = value.indexOf(0x0a);
  let header: { dsn?: string; event_id?: string; trace?: { trace_id?: string } };
  try {
    header = JSON.parse(value.subarray(0, firstLineEnd < 0 ? value.length : firstLineEnd).toString('utf8'));
  } catch {
    return undefined;
  }
  if (!header || typeof header !== 'object') return undefined;
  return contractMessage(value, {
    dsn: header.dsn,
    projectId: header.dsn ? (/\/(\d+)\/?$/.exec(header.dsn)?.[1] ?? '') : '',
    traceId: header.trace?.trace_id,
    eventId: header.event_id,
    types: itemTypes(value, firstLineEnd),
  });
}

/** Item types, read from the item header lines (honouring `length` where given). */
export function itemTypes(value: Buffer, firstLineEnd = value.indexOf(0x0a)): string[] {
  const types: string[] = [];
  let offset = firstLineEnd;
  while (offset >= 0 && offset < value.length - 1) {
    const lineEnd = value.indexOf(0x0a, offset + 1);
    const line = value.subarray(offset + 1, lineEnd < 0 ? value.length : lineEnd);
    let itemHeader: { type?: unknown; length?: unknown };
    try {
      itemHeader = JSON.parse(line.toString('utf8'));
    } catch {
      break;
    }
    if (typeof itemHeader?.type !== 'string') break;
    types.push(itemHeader.type);
    const payloadStart = (lineEnd < 0 ? value.length : lineEnd) + 1;
    offset =
      typeof itemHeader.length === 'number'
        ? payloadStart + itemHeader.length
        : value.indexOf(0x0a, payloadStart);
  }
  return types;
}
