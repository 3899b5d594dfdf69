import { createEnvelope, type Envelope, type Event } from '@sentry/core';
import { describe, expect, it } from 'vitest';
import { createScrubber, parseScrubSetting } from '../src/index.js';

const VISA = '4111 1111 1111 1111'; // passes Luhn
const NOT_A_CARD = '4111 1111 1111 1112'; // same shape, fails Luhn

function eventEnvelope(event: Event): Envelope {
  return createEnvelope({ event_id: 'a'.repeat(32) }, [[{ type: 'event' }, event]]) as Envelope;
}

function scrubEvent(event: Event, options = {}): Event {
  const [, items] = createScrubber(options).scrubEnvelope(eventEnvelope(event));
  return items[0]?.[1] as Event;
}

describe('createScrubber: values under sensitive keys', () => {
  it('filters headers, cookies, body fields, extra, contexts, tags, frame vars and breadcrumb data', () => {
    const event = scrubEvent({
      request: {
        url: 'https://shop.example/checkout',
        headers: {
          Authorization: 'Bearer abc.def',
          Cookie: 'sid=1',
          'X-Api-Key': 'k-123',
          Accept: 'text/html',
        },
        cookies: { sessionid: 's3cr3t' },
        data: { username: 'ada', password: 'hunter2', card: { cvv: '123' } },
      },
      extra: { db_password: 'pw', retries: 3 },
      contexts: { payment: { api_key: 'live_123', amount: 5 } },
      tags: { auth_token: 'tok', region: 'eu' },
      exception: {
        values: [
          {
            type: 'Error',
            value: 'boom',
            stacktrace: { frames: [{ function: 'pay', vars: { secret: 'x', n: 1 } }] },
          },
        ],
      },
      breadcrumbs: [{ category: 'http', data: { token: 'abc', status: 200 } }],
    });
    expect(event.request?.headers).toEqual({
      Authorization: '[Filtered]',
      Cookie: '[Filtered]',
      'X-Api-Key': '[Filtered]',
      Accept: 'text/html',
    });
    expect(event.request?.cookies).toBe('[Filtered]');
    expect(event.request?.data).toEqual({ username: 'ada', password: '[Filtered]', card: { cvv: '123' } });
    expect(event.extra).toEqual({ db_password: '[Filtered]', retries: 3 });
    expect(event.contexts?.payment).toEqual({ api_key: '[Filtered]', amount: 5 });
    expect(event.tags).toEqual({ auth_token: '[Filtered]', region: 'eu' });
    expect(event.exception?.values?.[0]?.stacktrace?.frames?.[0]?.vars).toEqual({
      secret: '[Filtered]',
      n: 1,
    });
    expect(event.breadcrumbs?.[0]?.data).toEqual({ token: '[Filtered]', status: 200 });
  });

  it('leaves keys that only look sensitive: token counts, authors, sessions count', () => {
    const event = scrubEvent({
      extra: { tokens_used: 1200, input_tokens: 30, author: 'ada', max_tokens: 4096, passage: 'text' },
    });
    expect(event.extra).toEqual({
      tokens_used: 1200,
      input_tokens: 30,
      author: 'ada',
      max_tokens: 4096,
      passage: 'text',
    });
  });

  it('filters more key names from the options (as words or whole keys), and never touches safe fields', () => {
    const event = scrubEvent(
      { extra: { iban: 'DE89', customer_ssn: '123', password: 'p', session_token: 't' } },
      { extraKeys: ['iban', 'ssn'], safeFields: ['session_token'] },
    );
    expect(event.extra).toEqual({
      iban: '[Filtered]',
      customer_ssn: '[Filtered]',
      password: '[Filtered]',
      session_token: 't',
    });
  });

  it('says in _meta what it filtered, with the original length', () => {
    const event = scrubEvent({ request: { headers: { Authorization: 'Basic dXNlcjpwYXNz' } } });
    expect((event as Record<string, unknown>)._meta).toEqual({
      request: { headers: { Authorization: { '': { rem: [['@password:filter', 's', 0, 10]], len: 18 } } } },
    });
  });
});

describe('createScrubber: secrets inside strings', () => {
  it('replaces a card number that passes Luhn, and leaves one that does not', () => {
    const message = `charge failed for ${VISA}; retry with ${NOT_A_CARD}`;
    const event = scrubEvent({ message });
    expect(event.message).toBe(`charge failed for [Filtered]; retry with ${NOT_A_CARD}`);
    expect((event as Record<string, unknown>)._meta).toEqual({
      message: { '': { rem: [['@creditcard:filter', 's', 18, 28]], len: message.length } },
    });
  });

  it('replaces Bearer and Basic credentials, URL passwords and PEM private keys, in exception values too', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAKCA\n-----END RSA PRIVATE KEY-----';
    const event = scrubEvent({
      exception: {
        values: [
          { type: 'Error', value: 'upstream said 401 to Bearer eyJhbGciOi.payload.sig' },
          { type: 'Error', value: 'cannot reach postgres://app:s3cret@db:5432/shop' },
        ],
      },
      extra: { header: 'Basic dXNlcjpwYXNz', key: pem },
    });
    expect(event.exception?.values?.map((v) => v.value)).toEqual([
      'upstream said 401 to Bearer [Filtered]',
      'cannot reach postgres://app:[Filtered]@db:5432/shop',
    ]);
    expect(event.extra).toEqual({
      header: 'Basic [Filtered]',
      key: '-----BEGIN RSA PRIVATE KEY-----[Filtered]-----END RSA PRIVATE KEY-----',
    });
  });

  it('replaces sensitive query and JSON pairs inside strings, such as a breadcrumb URL or a raw body', () => {
    const event = scrubEvent({
      breadcrumbs: [{ category: 'http', data: { url: 'https://api.example/v1/orders?token=abc123&page=2' } }],
      request: { query_string: 'access_token=xyz&q=shoes', data: '{"user":"ada","password":"hunter2"}' },
    });
    expect(event.breadcrumbs?.[0]?.data?.url).toBe('https://api.example/v1/orders?token=[Filtered]&page=2');
    expect(event.request?.query_string).toBe('access_token=[Filtered]&q=shoes');
    expect(event.request?.data).toBe('{"user":"ada","password":"[Filtered]"}');
  });

  it('leaves e-mail and IP addresses unless asked, then replaces them as Relay does', () => {
    const event: Event = {
      message: 'login by ada@example.com from 203.0.113.9 and 2001:db8::1',
      user: { ip_address: '203.0.113.9', email: 'ada@example.com' },
    };
    expect(scrubEvent(event).message).toBe(event.message);
    const scrubbed = scrubEvent(event, {
      rules: parseScrubSetting('email,ip').ok ? ['keys', 'email', 'ip'] : [],
    });
    expect(scrubbed.message).toBe('login by [email] from [ip] and [ip]');
    expect(scrubbed.user).toEqual({ ip_address: '[ip]', email: '[email]' });
  });

  it('leaves ids, timestamps and SDK facts alone', () => {
    const event = scrubEvent({
      event_id: '4111111111111111aaaaaaaaaaaaaaaa',
      timestamp: 1796174033.245,
      contexts: { trace: { trace_id: '4111111111111111aaaaaaaaaaaaaaaa', span_id: '4111111111111111' } },
      extra: { order: 1796174033245 },
    });
    expect(event.contexts?.trace).toEqual({
      trace_id: '4111111111111111aaaaaaaaaaaaaaaa',
      span_id: '4111111111111111',
    });
    expect(event.extra).toEqual({ order: 1796174033245 });
    expect(event).not.toHaveProperty('_meta');
  });
});

describe('createScrubber: envelopes', () => {
  it('scrubs span and log attributes, and check-in contexts', () => {
    const envelope = createEnvelope({}, [
      [
        { type: 'span' },
        {
          items: [
            {
              name: 'GET /orders',
              attributes: {
                'http.request.header.authorization': { value: 'Bearer abc', type: 'string' },
                'url.full': { value: 'https://x.example/?api_key=k1', type: 'string' },
                'http.response.status_code': { value: 200, type: 'integer' },
              },
            },
          ],
        },
      ],
      [
        { type: 'log' },
        { items: [{ body: `refund to ${VISA}`, attributes: { password: { value: 'p', type: 'string' } } }] },
      ],
      [{ type: 'check_in' }, { monitor_slug: 'nightly', contexts: { job: { token: 't' } } }],
    ] as never) as Envelope;
    const [, items] = createScrubber().scrubEnvelope(envelope);
    const payload = (i: number) => (items[i] as [unknown, unknown])[1];
    const span = (payload(0) as { items: { attributes: Record<string, { value: unknown }> }[] }).items[0];
    expect(span?.attributes['http.request.header.authorization']?.value).toBe('[Filtered]');
    expect(span?.attributes['url.full']?.value).toBe('https://x.example/?api_key=[Filtered]');
    expect(span?.attributes['http.response.status_code']?.value).toBe(200);
    const log = (payload(1) as { items: { body: string; attributes: Record<string, { value: unknown }> }[] })
      .items[0];
    expect(log?.body).toBe('refund to [Filtered]');
    expect(log?.attributes.password?.value).toBe('[Filtered]');
    expect((payload(2) as { contexts: unknown }).contexts).toEqual({ job: { token: '[Filtered]' } });
  });

  it('never changes the objects it was given (they may be the scope’s)', () => {
    const user = { id: '7', password: 'p' };
    const event: Event = { user, extra: { token: 't' } };
    const envelope = eventEnvelope(event);
    createScrubber().scrubEnvelope(envelope);
    expect(user).toEqual({ id: '7', password: 'p' });
    expect(event.extra).toEqual({ token: 't' });
  });

  it('returns the same envelope when there is nothing to scrub', () => {
    const envelope = eventEnvelope({ message: 'plain' });
    expect(createScrubber().scrubEnvelope(envelope)).toBe(envelope);
  });

  it('drops an item it cannot scrub, and counts it; the raw value never comes back', () => {
    const hostile = { message: 'x' } as Record<string, unknown>;
    Object.defineProperty(hostile, 'extra', {
      enumerable: true,
      get() {
        throw new Error('getter fails');
      },
    });
    const dropped: string[] = [];
    const [, items] = createScrubber().scrubEnvelope(eventEnvelope(hostile as Event), (c) => dropped.push(c));
    expect(items).toHaveLength(0);
    expect(dropped).toEqual(['error']);
  });

  it('does nothing with every rule off', () => {
    const envelope = eventEnvelope({ extra: { password: 'p' }, message: VISA });
    expect(createScrubber({ rules: [] }).scrubEnvelope(envelope)).toBe(envelope);
  });
});

describe('parseScrubSetting', () => {
  it('adds opt-in rules, takes default ones away, turns all off, and refuses unknown names', () => {
    expect(parseScrubSetting('email, +ip')).toEqual({
      ok: true,
      value: ['keys', 'creditcard', 'bearer', 'urlauth', 'pemkey', 'email', 'ip'],
    });
    expect(parseScrubSetting('-creditcard')).toEqual({
      ok: true,
      value: ['keys', 'bearer', 'urlauth', 'pemkey'],
    });
    expect(parseScrubSetting('off')).toEqual({ ok: true, value: [] });
    expect(parseScrubSetting('phone')).toMatchObject({ ok: false });
  });
});
