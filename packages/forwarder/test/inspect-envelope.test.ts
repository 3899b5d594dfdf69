import { describe, expect, it } from 'vitest';
import { DEFAULT_SIZE_LIMITS, inspectEnvelope } from '../src/index.js';

const DSN = 'https://abc@o1.ingest.sentry.io/42';
const envelope = (
  items: [Record<string, unknown>, string][],
  header: Record<string, unknown> = { dsn: DSN },
) =>
  Buffer.from(
    [
      JSON.stringify(header),
      ...items.flatMap(([h, p]) => [JSON.stringify({ ...h, length: Buffer.byteLength(p) }), p]),
    ].join('\n'),
  );

describe('inspectEnvelope', () => {
  it('removes an oversized span item, counts it, and keeps the rest byte for byte', () => {
    const limits = { ...DEFAULT_SIZE_LIMITS, span: 10 };
    const value = envelope([
      [{ type: 'event' }, '{"event_id":"e1"}'],
      [{ type: 'span', item_count: 3 }, '{"items":[1,2,3]}'],
    ]);
    const result = inspectEnvelope(value, limits);
    if (result.kind !== 'ok') throw new Error(result.detail);
    expect(result.removed).toEqual([{ category: 'span', quantity: 3 }]);
    expect(result.items.map((i) => i.header.type)).toEqual(['event']);
    expect(result.body.toString()).toContain('"event_id":"e1"');
    expect(result.body.toString()).not.toContain('items');
  });

  it('dead-letters an envelope whose event is too large, keeping the DSN to report it', () => {
    const result = inspectEnvelope(envelope([[{ type: 'event' }, 'x'.repeat(50)]]), {
      ...DEFAULT_SIZE_LIMITS,
      event: 10,
    });
    expect(result).toMatchObject({
      kind: 'dead',
      reason: 'too_large',
      counts: [{ category: 'error', quantity: 1 }],
    });
  });

  it('applies check-in, log and client-report limits and passes unknown item types untouched', () => {
    const limits = { ...DEFAULT_SIZE_LIMITS, checkIn: 5, log: 5, clientReports: 5 };
    const value = envelope([
      [{ type: 'check_in' }, '{"check_in_id":"1"}'],
      [{ type: 'log', item_count: 2 }, '{"items":[]}'],
      [{ type: 'client_report' }, '{"discarded_events":[]}'],
      [{ type: 'brand_new_type' }, 'y'.repeat(10_000)],
    ]);
    const result = inspectEnvelope(value, limits);
    if (result.kind !== 'ok') throw new Error(result.detail);
    expect(result.removed.map((r) => r.category).sort()).toEqual(['internal', 'log_item', 'monitor']);
    expect(result.items.map((i) => i.header.type)).toEqual(['brand_new_type']);
  });

  it('dead-letters a schema newer than it reads, and reads a message without the header', () => {
    const value = envelope([[{ type: 'event' }, '{}']]);
    expect(inspectEnvelope(value, DEFAULT_SIZE_LIMITS, '2')).toMatchObject({
      kind: 'dead',
      reason: 'unknown_schema',
    });
    expect(inspectEnvelope(value, DEFAULT_SIZE_LIMITS, '1').kind).toBe('ok');
    expect(inspectEnvelope(value, DEFAULT_SIZE_LIMITS).kind).toBe('ok');
  });

  it('names the malformed and the DSN-less', () => {
    expect(inspectEnvelope(Buffer.from('nope'), DEFAULT_SIZE_LIMITS)).toMatchObject({ reason: 'malformed' });
    expect(inspectEnvelope(envelope([[{ type: 'event' }, '{}']], {}), DEFAULT_SIZE_LIMITS)).toMatchObject({
      reason: 'no_dsn',
    });
  });
});
