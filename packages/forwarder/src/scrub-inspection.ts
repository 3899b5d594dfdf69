import { serializeEnvelopeBytes } from '@faultline/contract';
import type { Scrubber } from '@faultline/scrubbing';
import type { DataCategory, Envelope } from '@sentry/core';
import type { Inspection } from './inspect-envelope.js';

type Ok = Extract<Inspection, { kind: 'ok' }>;

/**
 * Scrubs each JSON item of an envelope read from the topic (for producers that do not scrub
 * themselves). Items the scrubber could not handle are left out and returned as `dropped`, to be
 * counted; the inspection is the same object when nothing changed.
 */
export function scrubInspection(
  inspection: Ok,
  scrubber: Scrubber,
): { inspection: Ok; dropped: DataCategory[] } {
  const dropped: DataCategory[] = [];
  let changed = false;
  const items: Ok['items'] = [];
  for (const item of inspection.items) {
    let payload: unknown;
    try {
      payload = JSON.parse(item.payload.toString('utf8'));
    } catch {
      items.push(item); // not JSON (an attachment): as it came
      continue;
    }
    const envelope = [{}, [[item.header, payload]]] as unknown as Envelope;
    const [, [scrubbed]] = scrubber.scrubEnvelope(envelope, (category) => dropped.push(category));
    if (!scrubbed) {
      changed = true;
      continue;
    }
    if (scrubbed[1] === payload) {
      items.push(item);
      continue;
    }
    changed = true;
    items.push({ header: item.header, payload: Buffer.from(JSON.stringify(scrubbed[1])) });
  }
  if (!changed) return { inspection, dropped };
  return {
    inspection: { ...inspection, items, body: serializeEnvelopeBytes(inspection.header, items) },
    dropped,
  };
}
