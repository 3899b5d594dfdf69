/** One envelope item: its header and its payload bytes (a view into the envelope). */
export interface EnvelopeItemBytes {
  header: { type: string; length?: number; [key: string]: unknown };
  payload: Buffer;
}

export type ParsedEnvelope =
  | { ok: true; header: Record<string, unknown>; items: EnvelopeItemBytes[] }
  | { ok: false; detail: string };

/**
 * Reads serialized envelope bytes: a header line, then items, each a header line and a payload
 * (`length`-framed, or up to the next newline). Payloads are not parsed: they stay byte views,
 * so inspecting a large envelope copies nothing.
 */
export function parseEnvelopeBytes(value: Buffer): ParsedEnvelope {
  const lineEnd = (from: number) => {
    const i = value.indexOf(0x0a, from);
    return i < 0 ? value.length : i;
  };
  const headerEnd = lineEnd(0);
  const header = jsonObject(value, 0, headerEnd);
  if (!header) return { ok: false, detail: 'the envelope header is not a JSON object' };
  const items: EnvelopeItemBytes[] = [];
  let offset = headerEnd + 1;
  while (offset < value.length) {
    const itemHeaderEnd = lineEnd(offset);
    if (itemHeaderEnd === offset) {
      offset++; // a blank line between items
      continue;
    }
    const itemHeader = jsonObject(value, offset, itemHeaderEnd);
    if (!itemHeader || typeof itemHeader.type !== 'string') {
      return { ok: false, detail: `item ${items.length + 1} has no valid header` };
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
      return { ok: false, detail: `item ${items.length + 1} declares a length beyond the envelope` };
    }
    items.push({ header: itemHeader as EnvelopeItemBytes['header'], payload: value.subarray(start, end) });
    offset = end + 1;
  }
  return { ok: true, header, items };
}

/** Serializes an envelope from its parts (after an item was removed or rewritten). */
export function serializeEnvelopeBytes(header: Record<string, unknown>, items: EnvelopeItemBytes[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`${JSON.stringify(header)}\n`)];
  for (const item of items) {
    const itemHeader =
      item.header.length === undefined ? item.header : { ...item.header, length: item.payload.length };
    parts.push(Buffer.from(`${JSON.stringify(itemHeader)}\n`), item.payload, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

function jsonObject(value: Buffer, start: number, end: number): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(value.subarray(start, end).toString('utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
