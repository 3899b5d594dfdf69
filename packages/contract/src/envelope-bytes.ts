import { jsonDeeperThan } from './json-depth.js';

/** Bounds checked before anything is parsed: what any producer can write must not cost more. */
export interface EnvelopeParseLimits {
  /** Nesting of the envelope header and of each item header. @default 32 */
  maxHeaderDepth?: number;
  /** Items in one envelope. @default 1 000 */
  maxItems?: number;
}

/** Headers are flat or nearly so (`trace`, `sdk`): anything deeper was written to hurt. */
export const DEFAULT_MAX_HEADER_DEPTH = 32;
/** SDK 11 sends spans and logs in containers, so real envelopes hold a handful of items. */
export const DEFAULT_MAX_ITEMS = 1_000;

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
export function parseEnvelopeBytes(value: Buffer, limits: EnvelopeParseLimits = {}): ParsedEnvelope {
  const maxDepth = limits.maxHeaderDepth ?? DEFAULT_MAX_HEADER_DEPTH;
  const maxItems = limits.maxItems ?? DEFAULT_MAX_ITEMS;
  const lineEnd = (from: number) => {
    const i = value.indexOf(0x0a, from);
    return i < 0 ? value.length : i;
  };
  const headerEnd = lineEnd(0);
  if (jsonDeeperThan(value, 0, headerEnd, maxDepth)) {
    return { ok: false, detail: `the envelope header nests deeper than ${maxDepth} levels` };
  }
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
    if (items.length >= maxItems) {
      return { ok: false, detail: `the envelope holds more than ${maxItems} items` };
    }
    if (jsonDeeperThan(value, offset, itemHeaderEnd, maxDepth)) {
      return {
        ok: false,
        detail: `item ${items.length + 1} has a header nested deeper than ${maxDepth} levels`,
      };
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
    const parsed = JSON.parse(value.toString('utf8', start, end));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
