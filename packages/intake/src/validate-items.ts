import { randomUUID } from 'node:crypto';
import {
  type EnvelopeItemBytes,
  itemLimit,
  type SizeLimits,
  trimEventBreadcrumbs,
} from '@faultline/contract';
import type { Scrubber } from '@faultline/scrubbing';
import { type DataCategory, type Envelope, envelopeItemTypeToDataCategory } from '@sentry/core';

/** Why the intake left an item out. */
export type DropReason = 'too_large' | 'invalid' | 'rate_limited' | 'scrub_failed';

/** Items left out of an envelope, by reason and category, to count and report. */
export interface Drop {
  reason: DropReason;
  category: DataCategory;
  quantity: number;
}

export interface ValidationLimits {
  sizes: SizeLimits;
  /** Breadcrumbs kept per event (the newest). */
  maxBreadcrumbs: number;
}

export interface ValidatedItems {
  items: EnvelopeItemBytes[];
  drops: Drop[];
  /** The event id, normalized (32 lower-case hex digits), of the envelope's event if it has one. */
  eventId: string | undefined;
  /** Breadcrumbs removed from events over `maxBreadcrumbs`. */
  trimmedBreadcrumbs: number;
  /**
   * The JSON of each kept item, as its bytes now say (after the fixes and scrubbing): what the
   * observations header is written from, so that no item is parsed twice.
   */
  parsed: Map<EnvelopeItemBytes, unknown>;
}

/** Item types whose payload is JSON; the intake parses and checks these, passes the rest as sent. */
const JSON_TYPES = new Set([
  'event',
  'transaction',
  'feedback',
  'user_report',
  'check_in',
  'session',
  'sessions',
  'client_report',
  'span',
  'log',
  'profile',
  'replay_event',
]);
/** Items that are events: an object with an event id, a timestamp and breadcrumbs. */
const EVENT_TYPES = new Set(['event', 'transaction', 'feedback']);
const EVENT_ID = /^[0-9a-f]{32}$/;
/** Relay's clock-drift bounds: a timestamp further off is the receive time, with an error noted. */
const MAX_FUTURE_MS = 60_000;
const MAX_PAST_MS = 30 * 24 * 3600_000;

/**
 * Checks each item as Relay does before it forwards: its size for its type (and attachments and
 * client reports all together), JSON that parses, an event id of 32 hex digits (dashes and upper
 * case normalized), timestamps within Relay's clock-drift bounds, breadcrumbs trimmed to the
 * newest `maxBreadcrumbs`; then scrubs what is left. A bad item is left out and counted, never
 * the whole envelope. Payloads that need no change stay byte views of the request.
 */
export function validateItems(
  items: readonly EnvelopeItemBytes[],
  limits: ValidationLimits,
  scrubber: Scrubber | undefined,
  nowMs: number,
  /** The envelope header's event id: the event's, when its payload has none. */
  headerEventId?: string,
): ValidatedItems {
  const kept: EnvelopeItemBytes[] = [];
  const drops: Drop[] = [];
  const parsed = new Map<EnvelopeItemBytes, unknown>();
  let eventId: string | undefined;
  let trimmedBreadcrumbs = 0;
  let attachments = 0;
  let clientReports = 0;
  const drop = (item: EnvelopeItemBytes, reason: DropReason) => drops.push({ reason, ...countOf(item) });

  for (const item of items) {
    const type = item.header.type;
    const size = item.payload.length;
    const limit = itemLimit(limits.sizes, type);
    if (type === 'attachment') attachments += size;
    if (type === 'client_report') clientReports += size;
    if (
      (limit !== undefined && size > limit) ||
      (type === 'attachment' && attachments > limits.sizes.attachments) ||
      (type === 'client_report' && clientReports > limits.sizes.clientReports)
    ) {
      drop(item, 'too_large');
      continue;
    }
    if (!JSON_TYPES.has(type)) {
      kept.push(item);
      continue;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(item.payload.toString('utf8'));
    } catch {
      drop(item, 'invalid');
      continue;
    }
    if (payload === null || typeof payload !== 'object') {
      drop(item, 'invalid');
      continue;
    }
    let changed = false;
    if (EVENT_TYPES.has(type)) {
      const event = payload as Record<string, unknown>;
      const id = normalizeEventId(event.event_id);
      if (id === null) {
        drop(item, 'invalid');
        continue;
      }
      const fixed = id ?? headerEventId ?? randomUUID().replace(/-/g, '');
      if (event.event_id !== fixed) {
        event.event_id = fixed;
        changed = true;
      }
      eventId ??= fixed;
      if (fixTimestamp(event, nowMs)) changed = true;
      const trimmed = trimEventBreadcrumbs(event, limits.maxBreadcrumbs);
      if (trimmed > 0) {
        trimmedBreadcrumbs += trimmed;
        changed = true;
      }
    }
    let out: unknown = payload;
    if (scrubber) {
      let failed = false;
      const envelope = [{}, [[item.header, payload]]] as unknown as Envelope;
      const [, [scrubbed]] = scrubber.scrubEnvelope(envelope, () => {
        failed = true;
      });
      if (failed || !scrubbed) {
        drop(item, 'scrub_failed');
        continue;
      }
      if (scrubbed[1] !== payload) {
        out = scrubbed[1];
        changed = true;
      }
    }
    const keptItem = changed ? { header: item.header, payload: Buffer.from(JSON.stringify(out)) } : item;
    kept.push(keptItem);
    parsed.set(keptItem, out);
  }
  return { items: kept, drops, eventId, trimmedBreadcrumbs, parsed };
}

/**
 * An event id as Sentry stores it: 32 lower-case hex digits. A UUID with dashes or in upper case
 * is normalized; undefined when there is none (one is made); null when it is not an id at all.
 */
export function normalizeEventId(value: unknown): string | undefined | null {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return null;
  const id = value.replace(/-/g, '').toLowerCase();
  return EVENT_ID.test(id) ? id : null;
}

/** A timestamp more than a minute ahead or 30 days behind becomes the receive time, noted in `errors`. */
function fixTimestamp(event: Record<string, unknown>, nowMs: number): boolean {
  const raw = event.timestamp;
  const ms = typeof raw === 'number' ? raw * 1000 : typeof raw === 'string' ? Date.parse(raw) : Number.NaN;
  if (raw === undefined) return false;
  let kind: string | undefined;
  if (Number.isNaN(ms)) kind = 'invalid_data';
  else if (ms > nowMs + MAX_FUTURE_MS) kind = 'future_timestamp';
  else if (ms < nowMs - MAX_PAST_MS) kind = 'past_timestamp';
  if (!kind) return false;
  event.timestamp = nowMs / 1000;
  const errors = Array.isArray(event.errors) ? event.errors : [];
  errors.push({ type: kind, name: 'timestamp', value: typeof raw === 'string' ? raw.slice(0, 64) : raw });
  event.errors = errors;
  return true;
}

export function categoryOf(type: string): DataCategory {
  return envelopeItemTypeToDataCategory(type as Parameters<typeof envelopeItemTypeToDataCategory>[0]);
}

/** Span and log containers say how many they carry in `item_count`. */
export function countOf(item: EnvelopeItemBytes): { category: DataCategory; quantity: number } {
  const count = item.header.item_count;
  return {
    category: categoryOf(item.header.type),
    quantity: typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : 1,
  };
}
