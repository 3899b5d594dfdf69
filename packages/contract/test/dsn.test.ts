import { describe, expect, it } from 'vitest';
import { dsnFromEnvelopeEndpoint, envelopeEndpoint, formatDsn, parseDsn, redactDsn } from '../src/index.js';

describe('parseDsn', () => {
  it('parses the parts of a DSN', () => {
    expect(parseDsn('https://abc@o1.ingest.sentry.io/42')).toEqual({
      protocol: 'https',
      publicKey: 'abc',
      host: 'o1.ingest.sentry.io',
      port: '',
      path: '',
      projectId: '42',
    });
    expect(parseDsn('http://k@127.0.0.1:9000/sentry/relay/7')).toMatchObject({
      port: '9000',
      path: 'sentry/relay',
      projectId: '7',
    });
  });

  it('rejects what is not a DSN', () => {
    for (const text of [
      '',
      'abc',
      'https://o1.ingest.sentry.io/42',
      'https://k@h/x',
      'https://k@h/1?x=1',
      'ws://k@h/1',
      'https://key-with-dash@h/1',
    ]) {
      expect(parseDsn(text)).toBeUndefined();
    }
  });
});

describe('redactDsn', () => {
  it('keeps host, port, path and project, and drops the key', () => {
    expect(redactDsn('https://abc:secret@o1.ingest.sentry.io/42')).toBe('https://o1.ingest.sentry.io/42');
    expect(redactDsn('http://k@127.0.0.1:9000/relay/7')).toBe('http://127.0.0.1:9000/relay/7');
  });

  it('describes a non-DSN without echoing it', () => {
    expect(redactDsn('https://key@host/not-a-project')).toBe('<a URL for host host, not a DSN>');
    expect(redactDsn('key-only')).toBe('<8 characters, not a URL>');
  });
});

describe('envelopeEndpoint and dsnFromEnvelopeEndpoint', () => {
  it('route to the DSN host, or only to the upstream', () => {
    const dsn = parseDsn('http://k@127.0.0.1:9000/relay/7');
    if (!dsn) throw new Error('no DSN');
    expect(envelopeEndpoint(dsn).href).toBe('http://127.0.0.1:9000/relay/api/7/envelope/');
    expect(envelopeEndpoint(dsn, new URL('https://relay.internal:3000/base/')).href).toBe(
      'https://relay.internal:3000/base/api/7/envelope/',
    );
  });

  it('round-trip the ingest URL the SDK hands a transport', () => {
    const dsn = dsnFromEnvelopeEndpoint(
      'https://o1.ingest.sentry.io/api/42/envelope/?sentry_key=abc&sentry_version=7',
    );
    expect(dsn && formatDsn(dsn)).toBe('https://abc@o1.ingest.sentry.io/42');
    expect(dsnFromEnvelopeEndpoint('https://tunnel.example/collect')).toBeUndefined();
  });
});
