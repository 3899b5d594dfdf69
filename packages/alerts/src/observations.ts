import {
  isObservedItemType,
  MAX_OBSERVED_ITEM_BYTES,
  type Observation,
  observeItem,
  parseDsnCached,
  parseEnvelopeBytes,
} from '@faultline/contract';

// The observation types and how an item is observed are the contract's: a producer that writes
// the `faultline-observations` header observes its events as the alerts would.
export type { DurationObservation, ErrorObservation, Observation } from '@faultline/contract';
export { MAX_DROPPED_PER_EVENT } from '@faultline/contract';

/**
 * What the rules need from one message of the envelope topic, or `undefined` when it cannot be
 * read at all (the forwarder dead-letters malformed envelopes; the alerts count and skip them).
 * Never throws: a message that breaks a step is unreadable, whatever it holds.
 */
export function observe(value: Buffer): Observation[] | undefined {
  try {
    return observeEnvelope(value);
  } catch {
    return undefined;
  }
}

function observeEnvelope(value: Buffer): Observation[] | undefined {
  const parsed = parseEnvelopeBytes(value);
  if (!parsed.ok) return undefined;
  const project =
    typeof parsed.header.dsn === 'string' ? parseDsnCached(parsed.header.dsn)?.projectId : undefined;
  if (!project) return [];
  const found: Observation[] = [];
  for (const item of parsed.items) {
    const type = item.header.type;
    if (!isObservedItemType(type)) continue;
    if (item.payload.length > MAX_OBSERVED_ITEM_BYTES) continue;
    let payload: unknown;
    try {
      payload = JSON.parse(item.payload.toString('utf8'));
    } catch {
      continue;
    }
    const observed = observeItem(project, type, payload);
    if (observed.length === 1) found.push(observed[0] as Observation);
    else if (observed.length > 1) found.push(...observed);
  }
  return found;
}
