import { parseDsn } from '@faultline/contract';

/** What an SDK presented to authenticate: its public key, and where it was found. */
export interface SentryAuth {
  publicKey: string;
  /** `header` (`X-Sentry-Auth` or `Authorization: Sentry ...`), `query` (`?sentry_key=`) or `envelope` (its `dsn`). */
  from: 'header' | 'query' | 'envelope';
}

/**
 * The public key of a request, as Sentry's ingest reads it: the `X-Sentry-Auth` header
 * (`Sentry sentry_key=<key>, sentry_version=7, ...`), else `Authorization` in that form or as
 * `DSN <dsn>`, else the
 * `sentry_key` query parameter (browser SDKs, which avoid a CORS preflight that way). The
 * envelope header's `dsn` is read later, by the caller, when these are absent. Undefined when
 * none is present; a key is a word (`\w+`), as in a DSN.
 */
export function authFromRequest(
  headers: { 'x-sentry-auth'?: string | string[]; authorization?: string },
  query: URLSearchParams,
): SentryAuth | undefined {
  const header = headers['x-sentry-auth'];
  const fromHeader = keyFromAuthHeader(Array.isArray(header) ? header[0] : header);
  if (fromHeader) return { publicKey: fromHeader, from: 'header' };
  const fromAuthorization =
    keyFromAuthHeader(headers.authorization) ?? keyFromDsnHeader(headers.authorization);
  if (fromAuthorization) return { publicKey: fromAuthorization, from: 'header' };
  const key = query.get('sentry_key');
  if (key && KEY.test(key)) return { publicKey: key, from: 'query' };
  return undefined;
}

const KEY = /^\w{1,64}$/;

/** `DSN https://abc@host/42` → `abc`: the other form Sentry's ingest accepts in `Authorization`. */
function keyFromDsnHeader(value: string | undefined): string | undefined {
  const match = /^dsn\s+(\S+)$/i.exec(value?.trim() ?? '');
  if (!match) return undefined;
  const key = parseDsn(match[1] as string)?.publicKey;
  return key && KEY.test(key) ? key : undefined;
}

/** `Sentry sentry_key=abc, sentry_version=7` → `abc`. */
export function keyFromAuthHeader(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (!/^sentry\s/i.test(trimmed)) return undefined;
  for (const part of trimmed.slice(6).split(',')) {
    const [name, ...rest] = part.split('=');
    if (name?.trim() === 'sentry_key') {
      const key = rest.join('=').trim();
      return KEY.test(key) ? key : undefined;
    }
  }
  return undefined;
}
