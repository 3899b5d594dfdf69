import { type FingerprintedEvent, fingerprintHash } from './fingerprint.js';
import { notificationText as text } from './notification-text.js';

/**
 * An error as the alert rules count it: `weight` is its true volume, the event itself plus the
 * occurrences of its fingerprint the error policy dropped since it last kept one
 * (`contexts.sampling.dropped_since_last_kept`).
 */
export interface ErrorObservation {
  kind: 'error';
  project: string;
  /** The error policy's 52-bit fingerprint hash, in hex. */
  fingerprint: string;
  /** `TypeError: message`, for notifications. */
  title: string;
  level: string;
  release: string | undefined;
  weight: number;
  /** Event time, epoch ms. */
  at: number;
}

/** A finished root operation (a segment span, or a transaction) and how long it took. */
export interface DurationObservation {
  kind: 'duration';
  project: string;
  name: string;
  durationMs: number;
  at: number;
}

export type Observation = ErrorObservation | DurationObservation;

/** One event stands for at most this many occurrences: itself and 1 000 reported drops. */
export const MAX_DROPPED_PER_EVENT = 1_000;

/** The fields of an event or transaction the observations read (an `Event` of `@sentry/core` is one). */
interface ObservedEvent extends FingerprintedEvent {
  contexts?: { sampling?: unknown; [key: string]: unknown };
  release?: unknown;
  timestamp?: unknown;
  start_timestamp?: unknown;
  transaction?: unknown;
}

/** The item types the alert rules count: errors, transactions and span containers. */
export function isObservedItemType(type: string): type is 'event' | 'transaction' | 'span' {
  return type === 'event' || type === 'transaction' || type === 'span';
}

/**
 * What the alert rules count in one envelope item of `type` (`event`, `transaction` or `span`):
 * none for other types. `payload` is the item's JSON, parsed (the alerts, from the topic) or not
 * yet serialized (a producer writing the observations header): both give the same observations.
 * Never throws for any JSON value.
 */
export function observeItem(project: string, type: string, payload: unknown): Observation[] {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return [];
  if (type === 'event') return [errorObservation(project, payload as ObservedEvent)];
  if (type === 'transaction') {
    const duration = transactionObservation(project, payload as ObservedEvent);
    return duration ? [duration] : [];
  }
  if (type === 'span') return segmentObservations(project, payload);
  return [];
}

function errorObservation(project: string, event: ObservedEvent): ErrorObservation {
  const reported = (event.contexts?.sampling as { dropped_since_last_kept?: unknown } | undefined)
    ?.dropped_since_last_kept;
  // A number, as the error policy writes it; anything else counts as no drops.
  const dropped = typeof reported === 'number' ? reported : 0;
  const values = event.exception?.values;
  const exception = Array.isArray(values) ? values.at(-1) : undefined;
  return {
    kind: 'error',
    project,
    // The error policy's own 52-bit hash (no string built): stable across processes and restarts.
    fingerprint: fingerprintHash(event).toString(16),
    title: text(
      exception && typeof exception === 'object'
        ? `${text(exception.type) || 'Error'}: ${text(exception.value)}`
        : text(event.message) || '(no message)',
    ),
    level: text(event.level) || 'error',
    release: text(event.release) || undefined,
    // Capped: the count comes from whoever wrote the envelope, and one event must not page alone.
    weight: 1 + (Number.isInteger(dropped) && dropped > 0 ? Math.min(dropped, MAX_DROPPED_PER_EVENT) : 0),
    at: seconds(event.timestamp) ?? Date.now(),
  };
}

function transactionObservation(project: string, event: ObservedEvent): DurationObservation | undefined {
  const start = seconds(event.start_timestamp);
  const end = seconds(event.timestamp);
  const name = text(event.transaction);
  if (start === undefined || end === undefined || !name || end < start) return undefined;
  return { kind: 'duration', project, name, durationMs: end - start, at: end };
}

/** SDK 11 streams spans in containers (`{ items: [...] }`); a segment span stands for its operation. */
function segmentObservations(project: string, payload: object): DurationObservation[] {
  const items = (payload as { items?: unknown }).items;
  if (!Array.isArray(items)) return [];
  const found: DurationObservation[] = [];
  for (const span of items as Record<string, unknown>[]) {
    if (!span || typeof span !== 'object' || span.is_segment !== true || typeof span.name !== 'string')
      continue;
    const start = seconds(span.start_timestamp);
    const end = seconds(span.end_timestamp);
    if (start === undefined || end === undefined || end < start) continue;
    found.push({ kind: 'duration', project, name: text(span.name), durationMs: end - start, at: end });
  }
  return found;
}

/** Sentry's timestamps are seconds (a number, or an ISO string in older payloads); epoch ms here. */
function seconds(value: unknown): number | undefined {
  // Finite after the conversion too: 1.8e305 seconds is a finite number and Infinity milliseconds.
  if (typeof value === 'number' && Number.isFinite(value * 1000)) return value * 1000;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}
