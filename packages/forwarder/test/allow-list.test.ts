import { describe, expect, it, vi } from 'vitest';
import { createAllowList, parseRoutedDsn } from '../src/index.js';

describe('parseRoutedDsn', () => {
  it('keeps what routing needs', () => {
    expect(parseRoutedDsn('https://abc@o1.ingest.sentry.io/42')).toEqual({
      protocol: 'https',
      publicKey: 'abc',
      host: 'o1.ingest.sentry.io',
      path: '',
      projectId: '42',
    });
    expect(parseRoutedDsn('http://k@127.0.0.1:9000/relay/7')).toMatchObject({
      host: '127.0.0.1:9000',
      path: '/relay',
      projectId: '7',
    });
  });
  it('rejects what is not a DSN with a key, and never logs it', () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      for (const text of [
        '',
        'nope',
        'https://o1.ingest.sentry.io/42',
        'ftp://k@h/1',
        'https://k@h/abc',
        'secret-key@nowhere',
      ]) {
        expect(parseRoutedDsn(text)).toBeUndefined();
      }
      expect(logged).not.toHaveBeenCalled();
    } finally {
      logged.mockRestore();
    }
  });
});

describe('createAllowList', () => {
  const allowed = createAllowList(['publickey', 'https://other@sentry.example.com/5']);
  const dsn = (text: string) => parseRoutedDsn(text) ?? expect.unreachable();
  it('allows listed keys on any host, and full DSNs only for their host and project', () => {
    expect(allowed(dsn('http://publickey@anywhere:1/3'))).toBe(true);
    expect(allowed(dsn('https://other@sentry.example.com/5'))).toBe(true);
    expect(allowed(dsn('https://other@evil.example.com/5'))).toBe(false);
    expect(allowed(dsn('https://other@sentry.example.com/6'))).toBe(false);
    expect(allowed(dsn('https://stranger@sentry.example.com/5'))).toBe(false);
  });
});
