import type { Event } from '@sentry/core';

// One pass over the message: UUIDs, hex ids (0x..., or 8+ hex digits with at least one digit),
// and numbers become placeholders, so "user 4123 not found" and "user 77 not found" group.
const VOLATILE =
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|0x[0-9a-f]+|\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b|\d+(?:\.\d+)?/gi;
const MAX_MESSAGE = 200;

/** A message with its volatile parts (numbers, ids, hex) replaced, and cut to 200 characters. */
export function normalizeMessage(message: string): string {
  const short = message.length > MAX_MESSAGE * 2 ? message.slice(0, MAX_MESSAGE * 2) : message;
  const normalized = short.replace(VOLATILE, '#');
  return normalized.length > MAX_MESSAGE ? normalized.slice(0, MAX_MESSAGE) : normalized;
}

/**
 * The key the error policy counts occurrences by: the event's own `fingerprint` when set
 * (other than Sentry's `{{ default }}` alone), else exception type, normalized message and the
 * top in-app frame, which is how Sentry would group most errors.
 */
export function fingerprintOf(event: Event): string {
  const own = event.fingerprint;
  if (own && own.length > 0 && !(own.length === 1 && own[0] === '{{ default }}')) {
    return own.length === 1 ? (own[0] ?? '') : own.join('\u0000');
  }
  const exception = event.exception?.values?.[event.exception.values.length - 1];
  if (exception) {
    return `${exception.type ?? 'Error'}\u0000${normalizeMessage(exception.value ?? '')}\u0000${topInAppFrame(exception.stacktrace?.frames)}`;
  }
  const message = event.logentry?.message ?? event.message ?? '';
  return `message\u0000${event.level ?? ''}\u0000${normalizeMessage(message)}`;
}

type Frames = NonNullable<NonNullable<Event['exception']>['values']>[number]['stacktrace'] extends infer S
  ? S extends { frames?: infer F }
    ? F
    : never
  : never;

/** Sentry orders frames oldest first: the top frame is the last in-app one. */
function topInAppFrame(frames: Frames | undefined): string {
  if (!frames) return '';
  for (let i = frames.length - 1; i >= 0; i--) {
    const frame = frames[i];
    if (frame && frame.in_app !== false) {
      return `${frame.module ?? frame.filename ?? ''}:${frame.function ?? ''}`;
    }
  }
  return '';
}
