import { isObservedItemType, type Observation, observeItem } from './observations.js';

/**
 * `observeItem` for an item a producer holds as an object, before it is serialized: the same
 * observations the alerts would read from the item's JSON, or undefined when they might differ
 * (the reader then parses the envelope). They differ only where a value read has another JSON
 * form: a non-finite number (JSON `null`), a function or symbol (left out), an object with
 * `toJSON` (a `Date`), `undefined` in an array. SDK events never hold these, as the SDK normalizes
 * events, but a `beforeSend` may set anything. Never throws.
 */
export function observeUnserialized(
  project: string,
  type: string,
  payload: unknown,
): Observation[] | undefined {
  if (!isObservedItemType(type)) return [];
  try {
    // Arrays and null read as nothing, in either form; anything else not a plain object (a string
    // or bytes serialized as they are, which the reader would parse) is not known here.
    if (payload === null || Array.isArray(payload)) return [];
    if (!container(payload)) return undefined;
    const item = payload as Record<string, unknown>;
    if (type === 'event' && !eventIsStable(item)) return undefined;
    if (type === 'transaction' && !leaves(item, 'transaction', 'start_timestamp', 'timestamp'))
      return undefined;
    if (type === 'span' && !spansAreStable(item.items)) return undefined;
    return observeItem(project, type, payload);
  } catch {
    return undefined;
  }
}

function eventIsStable(event: Record<string, unknown>): boolean {
  if (!leaves(event, 'level', 'release', 'message', 'timestamp')) return false;
  // Each piece is read with String(): only scalars give the same text as their JSON form.
  if (!optionalList(event.fingerprint, scalar)) return false;
  const logentry = event.logentry;
  if (
    logentry !== undefined &&
    (!container(logentry) || !leaves(logentry as Record<string, unknown>, 'message'))
  ) {
    return false;
  }
  const contexts = event.contexts;
  if (contexts !== undefined) {
    if (!container(contexts)) return false;
    const sampling = (contexts as Record<string, unknown>).sampling;
    if (sampling !== undefined) {
      if (!container(sampling)) return false;
      if (!leaves(sampling as Record<string, unknown>, 'dropped_since_last_kept')) return false;
    }
  }
  const exception = event.exception;
  if (exception === undefined) return true;
  if (!container(exception)) return false;
  // Only the last exception is read, and of its frames only those from the end to the first
  // in-app one (the fingerprint's top frame): a stack of 50 frames costs a few checks.
  const values = (exception as Record<string, unknown>).values;
  if (!Array.isArray(values)) return leaf(values);
  if (values.length === 0) return true;
  const last = values[values.length - 1];
  if (last === null) return true;
  if (!container(last)) return false;
  const fields = last as Record<string, unknown>;
  if (!leaves(fields, 'type', 'value')) return false;
  const stacktrace = fields.stacktrace;
  if (stacktrace === undefined) return true;
  if (!container(stacktrace)) return false;
  const frames = (stacktrace as Record<string, unknown>).frames;
  if (!Array.isArray(frames)) return leaf(frames);
  for (let i = frames.length - 1; i >= 0; i--) {
    const frame = frames[i];
    // JSON writes `undefined` in an array as null: both are passed over.
    if (frame === null || frame === undefined) continue;
    if (!container(frame)) return false;
    const read = frame as Record<string, unknown>;
    if (!leaf(read.in_app)) return false;
    if (read.in_app !== false) return leaves(read, 'module', 'filename', 'function');
  }
  return true;
}

function spansAreStable(items: unknown): boolean {
  return optionalList(items, (span) => {
    if (span === null) return true;
    if (!container(span)) return false;
    return leaves(span as Record<string, unknown>, 'is_segment', 'name', 'start_timestamp', 'end_timestamp');
  });
}

/**
 * A plain object or an array, without `toJSON`: serialized as it is. (A class instance may read
 * differently from its JSON, through a getter on its prototype.)
 */
function container(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return false;
  return typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

/** Text, a finite number, a boolean or null: the same after a JSON round trip, and as text. */
function scalar(value: unknown): boolean {
  const type = typeof value;
  return (
    type === 'string' || type === 'boolean' || value === null || (type === 'number' && Number.isFinite(value))
  );
}

/** A value read as it is: a scalar, or none (a missing field reads the same). */
function leaf(value: unknown): boolean {
  return value === undefined || scalar(value);
}

function leaves(fields: Record<string, unknown>, ...names: string[]): boolean {
  for (const name of names) if (!leaf(fields[name])) return false;
  return true;
}

/** Absent, or an array (no `undefined` in it: JSON writes `null`) whose entries all pass `check`. */
function optionalList(value: unknown, check: (entry: unknown) => boolean): boolean {
  if (value === undefined) return true;
  if (!Array.isArray(value)) return leaf(value);
  for (const entry of value) if (entry === undefined || !check(entry)) return false;
  return true;
}
