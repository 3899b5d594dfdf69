import { describe, expect, it } from 'vitest';
import { proxyAuthorization, proxyFor, proxySettingsFromEnv } from '../src/index.js';

const at = (url: string, noProxy?: string, explicit?: string | false) =>
  proxyFor(new URL(url), { httpProxy: 'http://plain:3128', httpsProxy: 'proxy:8080', noProxy }, explicit)
    ?.href;

describe('proxyFor', () => {
  it('picks the proxy by scheme, with http:// assumed for a bare host:port', () => {
    expect(at('https://o1.ingest.sentry.io/api/1/envelope/')).toBe('http://proxy:8080/');
    expect(at('http://relay.internal/api/1/envelope/')).toBe('http://plain:3128/');
  });

  it('goes direct to what NO_PROXY names: hosts, domains and their subdomains, ports, *', () => {
    expect(at('https://relay.internal/', 'relay.internal')).toBeUndefined();
    expect(at('https://a.b.internal/', '.internal')).toBeUndefined();
    expect(at('https://a.b.internal/', 'internal')).toBeUndefined();
    expect(at('https://notinternal/', 'internal')).toBe('http://proxy:8080/');
    expect(at('https://relay.internal:8443/', 'relay.internal:443')).toBe('http://proxy:8080/');
    expect(at('https://relay.internal/', 'relay.internal:443')).toBeUndefined();
    expect(at('http://[::1]:9000/', '::1')).toBeUndefined();
    expect(at('https://anything/', '*')).toBeUndefined();
  });

  it('uses an explicit proxy for every scheme, and none when told off', () => {
    expect(at('http://relay.internal/', undefined, 'http://explicit:1')).toBe('http://explicit:1/');
    expect(at('https://o1.ingest.sentry.io/', undefined, false)).toBeUndefined();
  });

  it('reads the lower-case variables first, as curl does', () => {
    expect(
      proxySettingsFromEnv({ https_proxy: 'http://low:1', HTTPS_PROXY: 'http://up:1', NO_PROXY: 'x' }),
    ).toEqual({
      httpProxy: undefined,
      httpsProxy: 'http://low:1',
      noProxy: 'x',
    });
  });

  it('sends the credentials in the proxy URL as Basic', () => {
    expect(proxyAuthorization(new URL('http://user:p%40ss@proxy:3128'))).toBe(
      `Basic ${Buffer.from('user:p@ss').toString('base64')}`,
    );
    expect(proxyAuthorization(new URL('http://proxy:3128'))).toBeUndefined();
  });
});
