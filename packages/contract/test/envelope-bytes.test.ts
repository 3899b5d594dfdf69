import { createEnvelope, serializeEnvelope } from '@sentry/core';
import { describe, expect, it } from 'vitest';
import { backoffDelay, isReadableSchema, parseEnvelopeBytes, serializeEnvelopeBytes } from '../src/index.js';

describe('parseEnvelopeBytes', () => {
  it('reads what the SDK serializes, length-framed and newline-terminated items alike', () => {
    const serialized = serializeEnvelope(
      createEnvelope({ event_id: 'e1', dsn: 'https://k@h/1' }, [
        [{ type: 'event' }, { event_id: 'e1', message: 'line\nbreak' }],
        [{ type: 'attachment', length: 3, filename: 'a.txt' }, new Uint8Array([1, 2, 3])],
      ] as never),
    );
    const parsed = parseEnvelopeBytes(Buffer.from(serialized as Uint8Array | string));
    if (!parsed.ok) throw new Error(parsed.detail);
    expect(parsed.header).toMatchObject({ event_id: 'e1', dsn: 'https://k@h/1' });
    expect(parsed.items.map((i) => i.header.type)).toEqual(['event', 'attachment']);
    expect(JSON.parse(parsed.items[0]?.payload.toString() ?? '')).toMatchObject({ message: 'line\nbreak' });
    expect([...(parsed.items[1]?.payload ?? [])]).toEqual([1, 2, 3]);
    const again = parseEnvelopeBytes(serializeEnvelopeBytes(parsed.header, parsed.items));
    expect(again.ok && again.items.map((i) => i.payload.length)).toEqual(
      parsed.items.map((i) => i.payload.length),
    );
  });

  it('says what is wrong with what is not an envelope', () => {
    expect(parseEnvelopeBytes(Buffer.from('nope'))).toEqual({
      ok: false,
      detail: 'the envelope header is not a JSON object',
    });
    expect(parseEnvelopeBytes(Buffer.from('{}\n{"type":"event","length":99}\n{}'))).toMatchObject({
      ok: false,
      detail: 'item 1 declares a length beyond the envelope',
    });
    expect(parseEnvelopeBytes(Buffer.from('{}\n[1]\n'))).toMatchObject({ ok: false });
  });
});

describe('isReadableSchema', () => {
  it('reads versions up to its own, and messages without the header', () => {
    expect(isReadableSchema(undefined)).toBe(true);
    expect(isReadableSchema('1')).toBe(true);
    expect(isReadableSchema('2')).toBe(false);
    expect(isReadableSchema('x')).toBe(false);
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt within equal jitter, capped', () => {
    const options = { initialMs: 100, maxMs: 1000 };
    expect(backoffDelay(0, options, () => 0)).toBe(50);
    expect(backoffDelay(0, options, () => 1)).toBe(100);
    expect(backoffDelay(3, options, () => 1)).toBe(800);
    expect(backoffDelay(10, options, () => 0)).toBe(500);
    expect(backoffDelay(10, options, () => 1)).toBe(1000);
  });
});
