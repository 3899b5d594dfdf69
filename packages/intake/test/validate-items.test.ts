import { DEFAULT_SIZE_LIMITS, type EnvelopeItemBytes } from '@faultline/contract';
import { createScrubber } from '@faultline/scrubbing';
import { describe, expect, it } from 'vitest';
import { parseProjectQuotas, parseQuotas } from '../src/parse-quotas.js';
import { createProjectRateLimits } from '../src/project-rate-limits.js';
import { authFromRequest, keyFromAuthHeader } from '../src/sentry-auth.js';
import { validateItems } from '../src/validate-items.js';

const NOW = Date.parse('2026-12-05T12:00:30Z');
const limits = { sizes: DEFAULT_SIZE_LIMITS, maxBreadcrumbs: 100 };
const item = (type: string, payload: unknown): EnvelopeItemBytes => ({
  header: { type },
  payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
});
const payloadOf = (kept: EnvelopeItemBytes | undefined) => JSON.parse(String(kept?.payload));

describe('validateItems', () => {
  it('keeps the newest breadcrumbs, in a list or under values', () => {
    const crumbs = Array.from({ length: 150 }, (_, i) => ({ message: `crumb ${i}` }));
    const result = validateItems(
      [item('event', { breadcrumbs: crumbs }), item('event', { breadcrumbs: { values: crumbs } })],
      limits,
      undefined,
      NOW,
    );
    expect(result.trimmedBreadcrumbs).toBe(100);
    const [list, values] = result.items.map(payloadOf);
    expect(list.breadcrumbs).toHaveLength(100);
    expect(list.breadcrumbs[0].message).toBe('crumb 50');
    expect(values.breadcrumbs.values.at(-1).message).toBe('crumb 149');
  });

  it("sets timestamps outside Relay's clock-drift bounds to the receive time, and says so", () => {
    const result = validateItems(
      [
        item('event', { timestamp: NOW / 1000 + 3600 }),
        item('event', { timestamp: '2020-01-01T00:00:00Z' }),
        item('event', { timestamp: NOW / 1000 - 5 }),
      ],
      limits,
      undefined,
      NOW,
    );
    const [future, past, fine] = result.items.map(payloadOf);
    expect(future.timestamp).toBe(NOW / 1000);
    expect(future.errors).toEqual([
      { type: 'future_timestamp', name: 'timestamp', value: NOW / 1000 + 3600 },
    ]);
    expect(past.errors[0].type).toBe('past_timestamp');
    expect(fine.timestamp).toBe(NOW / 1000 - 5);
    expect(fine.errors).toBeUndefined();
  });

  it('normalizes event ids, takes the header one when the payload has none, and leaves payloads it need not change as they came', () => {
    const untouched = item('event', { event_id: 'ab'.repeat(16), message: 'm' });
    const result = validateItems(
      [untouched, item('event', { message: 'no id' })],
      limits,
      undefined,
      NOW,
      'cd'.repeat(16),
    );
    expect(result.items[0]).toBe(untouched);
    expect(payloadOf(result.items[1]).event_id).toBe('cd'.repeat(16));
    expect(result.eventId).toBe('ab'.repeat(16));
    const upper = validateItems([item('event', { event_id: 'AB'.repeat(16) })], limits, undefined, NOW);
    expect(upper.eventId).toBe('ab'.repeat(16));
  });

  it('scrubs what the SDK left in, and counts client reports over their limit', () => {
    const scrubber = createScrubber({});
    const report = item('client_report', {
      discarded_events: [{ reason: 'x'.repeat(5000), category: 'error', quantity: 1 }],
    });
    const result = validateItems(
      [item('event', { extra: { note: 'Authorization: Bearer abcdef0123456789abcdef' } }), report],
      limits,
      scrubber,
      NOW,
    );
    expect(JSON.stringify(payloadOf(result.items[0]))).not.toContain('abcdef0123456789abcdef');
    expect(result.drops).toEqual([{ reason: 'too_large', category: 'internal', quantity: 1 }]);
  });

  it('counts span and log containers by their item_count', () => {
    const spans: EnvelopeItemBytes = {
      header: { type: 'span', item_count: 7 },
      payload: Buffer.from('{nope'),
    };
    expect(validateItems([spans], limits, undefined, NOW).drops).toEqual([
      { reason: 'invalid', category: 'span', quantity: 7 },
    ]);
  });
});

describe('quotas', () => {
  it('parses quotas and per-project quotas, or says what it expected', () => {
    expect(parseQuotas('error=5000, transaction=20000')).toEqual({
      ok: true,
      value: { error: 5000, transaction: 20000 },
    });
    expect(parseQuotas('error=lots').ok).toBe(false);
    expect(parseProjectQuotas('42:error=100,span=5;43:transaction=1')).toEqual({
      ok: true,
      value: { '42': { error: 100, span: 5 }, '43': { transaction: 1 } },
    });
    expect(parseProjectQuotas('x:error=1').ok).toBe(false);
  });

  it('enforces its share over windows aligned to the minute, project quotas over the default', () => {
    const limits = createProjectRateLimits({
      quotas: { error: 5 },
      projectQuotas: { '7': { error: 1 } },
      instances: 2,
    });
    expect(limits.quotaOf('1', 'error')).toBe(3);
    const minute = Date.parse('2026-12-05T12:00:00Z');
    const admitted = Array.from({ length: 5 }, () => limits.admit('1', 'error', 1, minute + 1000));
    expect(admitted).toEqual([true, true, true, false, false]);
    expect(limits.retryAfter(minute + 1000)).toBe(59);
    expect(limits.admit('1', 'error', 1, minute + 60_000)).toBe(true); // the next minute
    expect(limits.admit('7', 'error', 1, minute)).toBe(true);
    expect(limits.admit('7', 'error', 1, minute)).toBe(false);
    expect(limits.admit('1', 'transaction', 1000, minute)).toBe(true); // no quota
  });
});

describe('keyFromAuthHeader', () => {
  it('reads the key from the header forms SDKs send', () => {
    expect(
      keyFromAuthHeader('Sentry sentry_key=abc123, sentry_version=7, sentry_client=sentry.python/2.76.0'),
    ).toBe('abc123');
    expect(keyFromAuthHeader('Sentry sentry_version=7,sentry_key=abc123')).toBe('abc123');
    expect(keyFromAuthHeader('Bearer abc123')).toBeUndefined();
    expect(keyFromAuthHeader('Sentry sentry_key=<script>')).toBeUndefined();
  });

  it('also takes `Authorization: DSN <dsn>`, and prefers X-Sentry-Auth, then the query', () => {
    const none = new URLSearchParams();
    expect(authFromRequest({ authorization: 'DSN https://abc123@o1.ingest.example.com/42' }, none)).toEqual({
      publicKey: 'abc123',
      from: 'header',
    });
    expect(authFromRequest({ authorization: 'DSN not-a-dsn' }, none)).toBeUndefined();
    expect(
      authFromRequest(
        { 'x-sentry-auth': 'Sentry sentry_key=first' },
        new URLSearchParams('sentry_key=second'),
      ),
    ).toEqual({ publicKey: 'first', from: 'header' });
    expect(authFromRequest({}, new URLSearchParams('sentry_key=second'))).toEqual({
      publicKey: 'second',
      from: 'query',
    });
  });
});
