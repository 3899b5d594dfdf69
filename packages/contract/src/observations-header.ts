import { MAX_TEXT, notificationText } from './notification-text.js';
import { MAX_DROPPED_PER_EVENT, type Observation } from './observations.js';
import { observeUnserialized } from './observe-unserialized.js';

/**
 * A header larger than this is not written (the alerts parse the envelope instead) and not read.
 * About 20 observations with titles of 200 characters.
 */
export const MAX_OBSERVATIONS_HEADER_BYTES = 8 * 1024;
/** Items larger than Sentry's event limit (Relay's `max_event_size`) are never ingested, so never observed. */
export const MAX_OBSERVED_ITEM_BYTES = 1024 * 1024;

/**
 * The value of the `faultline-observations` header: the message's observations, as the alerts
 * would read them from its envelope, written by the producer that had the events as objects, so
 * that the alerts need not parse the envelope. Undefined (no header) when there is no project or
 * the header would be larger than `MAX_OBSERVATIONS_HEADER_BYTES`.
 */
export function encodeObservationsHeader(project: string, observations: Observation[]): string | undefined {
  if (!project) return undefined;
  const header = JSON.stringify({
    project,
    observations: observations.map(({ project: _, ...fields }) => fields),
  });
  return Buffer.byteLength(header) <= MAX_OBSERVATIONS_HEADER_BYTES ? header : undefined;
}

/**
 * The `faultline-observations` header for a producer's items (type and payload, not yet
 * serialized or parsed from JSON): undefined when any item might read differently from its JSON
 * (`observeUnserialized`), as when `encodeObservationsHeader` writes none.
 */
export function observationsHeaderFor(
  project: string,
  items: Iterable<readonly [type: string, payload: unknown]>,
): string | undefined {
  const observations: Observation[] = [];
  for (const [type, payload] of items) {
    const observed = observeUnserialized(project, type, payload);
    if (!observed) return undefined;
    observations.push(...observed);
  }
  return encodeObservationsHeader(project, observations);
}

/**
 * The observations in a `faultline-observations` header, or undefined when it cannot be trusted
 * to be what `encodeObservationsHeader` writes: not JSON, too large, or any field of any
 * observation out of its type or range. The reader then parses the envelope itself, so a bad
 * header costs time, never a count. Never throws.
 */
export function decodeObservationsHeader(value: Buffer | string | undefined): Observation[] | undefined {
  if (value === undefined || value.length > MAX_OBSERVATIONS_HEADER_BYTES) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch {
    return undefined;
  }
  const { project, observations } = (parsed ?? {}) as { project?: unknown; observations?: unknown };
  if (typeof project !== 'string' || !/^\d{1,20}$/.test(project) || !Array.isArray(observations)) {
    return undefined;
  }
  const found: Observation[] = [];
  for (const entry of observations as Record<string, unknown>[]) {
    const observation = entry && typeof entry === 'object' ? checked(project, entry) : undefined;
    if (!observation) return undefined;
    found.push(observation);
  }
  return found;
}

function checked(project: string, o: Record<string, unknown>): Observation | undefined {
  if (!isTime(o.at)) return undefined;
  if (o.kind === 'error') {
    const { fingerprint, title, level, release, weight } = o;
    if (typeof fingerprint !== 'string' || !/^[0-9a-f]{1,13}$/.test(fingerprint)) return undefined;
    if (!isText(title) || !isText(level) || !(release === undefined || (isText(release) && release !== '')))
      return undefined;
    if (
      !Number.isInteger(weight) ||
      (weight as number) < 1 ||
      (weight as number) > 1 + MAX_DROPPED_PER_EVENT
    ) {
      return undefined;
    }
    return { kind: 'error', project, fingerprint, title, level, release, weight: weight as number, at: o.at };
  }
  if (o.kind === 'duration') {
    const { name, durationMs } = o;
    if (!isText(name) || !isTime(durationMs) || durationMs < 0) return undefined;
    return { kind: 'duration', project, name, durationMs, at: o.at };
  }
  return undefined;
}

/** Text as the alerts clean it from an event: what that cleaning leaves as it is. */
function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TEXT && notificationText(value) === value;
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
