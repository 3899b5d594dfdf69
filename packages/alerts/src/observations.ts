import { parseDsnCached, parseEnvelopeBytes } from '@faultline/contract';
import { fingerprintHash } from '@faultline/sampling';
import type { Event } from '@sentry/core';

/**
 * An error as the rules count it: `weight` is its true volume, the event itself plus the
 * occurrences of its fingerprint the error policy dropped since it last kept one
 * (`contexts.sampling.dropped_since_last_kept`).
 */
export interface ErrorObservation {
  kind: 'error';
  project: string;
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

/**
 * What the rules need from one message of the envelope topic. Anything unreadable yields
 * nothing: the forwarder dead-letters malformed envelopes; the alerts only count.
 */
export function observe(value: Buffer): Observation[] {
  const parsed = parseEnvelopeBytes(value);
  if (!parsed.ok) return [];
  const project =
    typeof parsed.header.dsn === 'string' ? parseDsnCached(parsed.header.dsn)?.projectId : undefined;
  if (!project) return [];
  const found: Observation[] = [];
  for (const item of parsed.items) {
    const type = item.header.type;
    if (type !== 'event' && type !== 'transaction' && type !== 'span') continue;
    let payload: unknown;
    try {
      payload = JSON.parse(item.payload.toString('utf8'));
    } catch {
      continue;
    }
    if (type === 'event') found.push(errorObservation(project, payload as Event));
    else if (type === 'transaction') {
      const duration = transactionObservation(project, payload as Event);
      if (duration) found.push(duration);
    } else found.push(...segmentObservations(project, payload));
  }
  return found;
}

function errorObservation(project: string, event: Event): ErrorObservation {
  const dropped = Number(
    (event.contexts?.sampling as { dropped_since_last_kept?: unknown } | undefined)?.dropped_since_last_kept,
  );
  const exception = event.exception?.values?.at(-1);
  return {
    kind: 'error',
    project,
    // The error policy's own 52-bit hash (no string built): stable across processes and restarts.
    fingerprint: fingerprintHash(event).toString(16),
    title: exception
      ? `${exception.type ?? 'Error'}: ${exception.value ?? ''}`
      : (event.message ?? '(no message)'),
    level: event.level ?? 'error',
    release: event.release,
    weight: 1 + (Number.isInteger(dropped) && dropped > 0 ? dropped : 0),
    at: seconds(event.timestamp) ?? Date.now(),
  };
}

function transactionObservation(project: string, event: Event): DurationObservation | undefined {
  const start = seconds(event.start_timestamp);
  const end = seconds(event.timestamp);
  if (start === undefined || end === undefined || !event.transaction) return undefined;
  return { kind: 'duration', project, name: event.transaction, durationMs: end - start, at: end };
}

/** SDK 11 streams spans in containers (`{ items: [...] }`); a segment span stands for its operation. */
function segmentObservations(project: string, payload: unknown): DurationObservation[] {
  const items = (payload as { items?: unknown })?.items;
  if (!Array.isArray(items)) return [];
  const found: DurationObservation[] = [];
  for (const span of items as Record<string, unknown>[]) {
    if (span?.is_segment !== true || typeof span.name !== 'string') continue;
    const start = seconds(span.start_timestamp);
    const end = seconds(span.end_timestamp);
    if (start === undefined || end === undefined) continue;
    found.push({ kind: 'duration', project, name: span.name, durationMs: end - start, at: end });
  }
  return found;
}

/** Sentry's timestamps are seconds (a number, or an ISO string in older payloads); epoch ms here. */
function seconds(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value * 1000;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}
