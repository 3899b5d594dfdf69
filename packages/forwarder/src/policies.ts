import { serializeEnvelopeBytes, trimEventBreadcrumbs } from '@faultline/contract';
import type { Inspection } from './inspect-envelope.js';

/**
 * Relay's `max_events_per_minute` per project: a fixed one-minute window counting error events.
 * Returns whether this envelope is over the limit.
 */
export function createProjectLimiter(
  maxPerMinute: number | undefined,
  now: () => number = Date.now,
): (projectId: string, categories: readonly string[]) => boolean {
  const windows = new Map<string, { start: number; count: number }>();
  return (projectId, categories) => {
    if (maxPerMinute === undefined || !categories.includes('error')) return false;
    const t = now();
    let window = windows.get(projectId);
    if (!window || t - window.start >= 60_000) {
      window = { start: t, count: 0 };
      windows.set(projectId, window);
    }
    window.count++;
    return window.count > maxPerMinute;
  };
}

/**
 * Keeps the last `max` breadcrumbs of each event item. Returns the new body and how many were
 * removed; the body is the same Buffer when nothing changed.
 */
export function trimBreadcrumbs(
  inspection: Extract<Inspection, { kind: 'ok' }>,
  max: number | undefined,
): { body: Buffer; trimmed: number } {
  if (max === undefined) return { body: inspection.body, trimmed: 0 };
  let trimmed = 0;
  const items = inspection.items.map((item) => {
    if (item.header.type !== 'event') return item;
    let event: { breadcrumbs?: unknown };
    try {
      event = JSON.parse(item.payload.toString('utf8'));
    } catch {
      return item; // the ingest decides what to make of it
    }
    if (!event || typeof event !== 'object') return item; // `null`, a number: the ingest's call too
    const removed = trimEventBreadcrumbs(event, max);
    if (removed === 0) return item;
    trimmed += removed;
    return { header: item.header, payload: Buffer.from(JSON.stringify(event)) };
  });
  return trimmed > 0
    ? { body: serializeEnvelopeBytes(inspection.header, items), trimmed }
    : { body: inspection.body, trimmed: 0 };
}
