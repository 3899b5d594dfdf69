import { parseDsn } from '@faultline/contract';
import { describe, expect, it } from 'vitest';
import { createAllowList } from '../src/index.js';

const dsn = (text: string) => {
  const parsed = parseDsn(text);
  if (!parsed) throw new Error(`not a DSN: ${text}`);
  return parsed;
};

describe('createAllowList', () => {
  it('allows a full DSN only for its key, host, port and project', () => {
    const allowed = createAllowList({
      allowedDsns: ['https://abc@o1.ingest.sentry.io/42'],
      hasUpstream: false,
    });
    expect(allowed(dsn('https://abc@o1.ingest.sentry.io/42'))).toBe(true);
    expect(allowed(dsn('https://abc@O1.INGEST.SENTRY.IO/42'))).toBe(true);
    expect(allowed(dsn('https://abc@evil.example/42'))).toBe(false);
    expect(allowed(dsn('https://abc@o1.ingest.sentry.io:8443/42'))).toBe(false);
    expect(allowed(dsn('https://abc@o1.ingest.sentry.io/43'))).toBe(false);
    expect(allowed(dsn('https://xyz@o1.ingest.sentry.io/42'))).toBe(false);
  });

  it('refuses a bare key without an upstream or allowed hosts, saying why and naming no key', () => {
    const attempt = () => createAllowList({ allowedDsns: ['abc', 'def'], hasUpstream: false });
    expect(attempt).toThrow(/bare public keys: without an upstream every entry must bind a host/);
    expect(attempt).toThrow(/FAULTLINE_FORWARDER_ALLOWED_HOSTS/);
    expect(attempt).not.toThrow(/abc|def/);
  });

  it('binds bare keys to the allowed hosts', () => {
    const allowed = createAllowList({
      allowedDsns: ['abc'],
      allowedHosts: ['o1.ingest.sentry.io', '127.0.0.1:9000'],
      hasUpstream: false,
    });
    expect(allowed(dsn('https://abc@o1.ingest.sentry.io/1'))).toBe(true);
    expect(allowed(dsn('https://abc@o1.ingest.sentry.io/2'))).toBe(true);
    expect(allowed(dsn('http://abc@127.0.0.1:9000/2'))).toBe(true);
    expect(allowed(dsn('http://abc@127.0.0.1:9001/2'))).toBe(false);
    expect(allowed(dsn('https://abc@evil.example/1'))).toBe(false);
    expect(allowed(dsn('https://zzz@o1.ingest.sentry.io/1'))).toBe(false);
  });

  it('accepts bare keys with an upstream: only the upstream is ever called', () => {
    const allowed = createAllowList({ allowedDsns: ['abc'], hasUpstream: true });
    expect(allowed(dsn('https://abc@anywhere.example/1'))).toBe(true);
    expect(allowed(dsn('https://zzz@anywhere.example/1'))).toBe(false);
  });

  it('rejects entries that are neither, and an empty list', () => {
    expect(() => createAllowList({ allowedDsns: ['not a key!'], hasUpstream: true })).toThrow(
      /entry 1 .* is neither a DSN nor a public key/,
    );
    expect(() => createAllowList({ allowedDsns: [], hasUpstream: true })).toThrow(/at least one/);
  });
});
