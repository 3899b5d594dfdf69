import {
  type DsnParts,
  type EnvelopeItemBytes,
  isReadableSchema,
  itemLimit,
  parseDsnCached,
  parseEnvelopeBytes,
  type SizeLimits,
  serializeEnvelopeBytes,
} from '@faultline/contract';
import { type DataCategory, envelopeItemTypeToDataCategory } from '@sentry/core';

/** What a removed or dropped item counted as: its category and how many it stood for. */
export interface ItemCount {
  category: DataCategory;
  quantity: number;
}

export type Inspection =
  | {
      kind: 'ok';
      dsn: DsnParts;
      eventId: string | undefined;
      /** Categories of the items sent (one entry per item). */
      categories: DataCategory[];
      /** What the envelope stands for, to count it if it is dropped (worked out only then). */
      counts(): ItemCount[];
      /** Items removed for their size: already counted, to be reported. */
      removed: ItemCount[];
      header: Record<string, unknown>;
      items: EnvelopeItemBytes[];
      /** The bytes to send: the message value, or a copy without the removed items. */
      body: Buffer;
    }
  | {
      kind: 'dead';
      reason: 'malformed' | 'too_large' | 'no_dsn' | 'unknown_schema';
      detail: string;
      /** Set when the DSN is known, so the drop can be reported to it. */
      dsn?: DsnParts;
      counts?: ItemCount[];
    };

/**
 * Reads a message value as a Sentry envelope and checks it as Relay would before forwarding:
 * a schema version this forwarder reads, a header that parses, a DSN, the envelope size, and each
 * item's size for its type. An oversized event or transaction sinks the envelope (its
 * attachments belong to it); other oversized items are removed and the rest forwarded.
 */
export function inspectEnvelope(value: Buffer, limits: SizeLimits, schemaHeader?: string): Inspection {
  if (!isReadableSchema(schemaHeader)) {
    return {
      kind: 'dead',
      reason: 'unknown_schema',
      detail: `message schema ${schemaHeader} is newer than this forwarder reads`,
    };
  }
  const parsed = parseEnvelopeBytes(value);
  if (!parsed.ok) return { kind: 'dead', reason: 'malformed', detail: parsed.detail };
  const { header, items } = parsed;
  const dsn = typeof header.dsn === 'string' ? parseDsnCached(header.dsn) : undefined;
  if (!dsn) {
    const detail =
      typeof header.dsn === 'string'
        ? 'the envelope header DSN does not parse'
        : 'the envelope header names no DSN';
    return { kind: 'dead', reason: 'no_dsn', detail };
  }
  if (value.length > limits.envelope) {
    return {
      kind: 'dead',
      reason: 'too_large',
      detail: `envelope of ${value.length} bytes > ${limits.envelope}`,
      dsn,
      counts: items.map(countOf),
    };
  }
  const kept: EnvelopeItemBytes[] = [];
  const removed: ItemCount[] = [];
  let attachments = 0;
  let clientReports = 0;
  for (const item of items) {
    const type = item.header.type;
    const limit = itemLimit(limits, type);
    const size = item.payload.length;
    if (limit !== undefined && size > limit) {
      if (type === 'event' || type === 'transaction') {
        return {
          kind: 'dead',
          reason: 'too_large',
          detail: `${type} item of ${size} bytes > ${limit}`,
          dsn,
          counts: items.map(countOf),
        };
      }
      removed.push(countOf(item));
      continue;
    }
    // Attachments and client reports also have a limit for all of them together.
    if (type === 'attachment') attachments += size;
    if (type === 'client_report') clientReports += size;
    if (
      (type === 'attachment' && attachments > limits.attachments) ||
      (type === 'client_report' && clientReports > limits.clientReports)
    ) {
      removed.push(countOf(item));
      continue;
    }
    kept.push(item);
  }
  return {
    kind: 'ok',
    dsn,
    eventId: typeof header.event_id === 'string' ? header.event_id : undefined,
    categories: kept.map((item) => categoryOf(item.header.type)),
    counts: () => kept.map(countOf),
    removed,
    header,
    items: kept,
    body: removed.length > 0 ? serializeEnvelopeBytes(header, kept) : value,
  };
}

export type InspectionOk = Extract<Inspection, { kind: 'ok' }>;

/** The envelope without its items of these categories, and what those were, to count them. */
export function withoutCategories(
  inspection: InspectionOk,
  categories: ReadonlySet<DataCategory>,
): { inspection: InspectionOk; removed: ItemCount[] } {
  const kept = inspection.items.filter((item) => !categories.has(categoryOf(item.header.type)));
  const removed = inspection.items
    .filter((item) => categories.has(categoryOf(item.header.type)))
    .map(countOf);
  return {
    inspection: {
      ...inspection,
      categories: kept.map((item) => categoryOf(item.header.type)),
      counts: () => kept.map(countOf),
      items: kept,
      body: serializeEnvelopeBytes(inspection.header, kept),
    },
    removed,
  };
}

function categoryOf(type: string): DataCategory {
  return envelopeItemTypeToDataCategory(type as Parameters<typeof envelopeItemTypeToDataCategory>[0]);
}

/** Span and log containers say how many they carry in `item_count`. */
function countOf(item: EnvelopeItemBytes): ItemCount {
  const count = item.header.item_count;
  return {
    category: categoryOf(item.header.type),
    quantity: typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : 1,
  };
}
