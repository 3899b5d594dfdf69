/** The parts of a Sentry DSN that Faultline uses. */
export interface DsnParts {
  protocol: 'http' | 'https';
  publicKey: string;
  /** Host name, without the port. */
  host: string;
  /** Port as written in the DSN, or ''. */
  port: string;
  /** Path before the project id, without slashes at either end ('' for most DSNs). */
  path: string;
  projectId: string;
}

/**
 * Parses `<protocol>://<public key>@<host>[:port][/path]/<project id>`. Undefined when the text
 * is not a DSN. Unlike `@sentry/core`'s parser it never logs, so a bad DSN cannot reach a log.
 */
export function parseDsn(text: string): DsnParts | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const protocol = url.protocol.slice(0, -1);
  if (protocol !== 'http' && protocol !== 'https') return undefined;
  // The key must be what the SDK's own parser accepts (\w+): a DSN it rejects it would print
  // to the console in full.
  if (!/^\w+$/.test(url.username) || !url.hostname || url.search || url.hash) return undefined;
  const segments = url.pathname.split('/').filter(Boolean);
  const projectId = segments.pop();
  if (!projectId || !/^\d+$/.test(projectId)) return undefined;
  return {
    protocol,
    publicKey: url.username,
    host: url.hostname,
    port: url.port,
    path: segments.join('/'),
    projectId,
  };
}

// A topic carries few distinct DSNs: a reader of envelopes parses each once. Bounded, cleared when full.
const parsedDsns = new Map<string, DsnParts | undefined>();

/** `parseDsn`, remembered: for readers of many envelopes. The result is frozen (it is shared). */
export function parseDsnCached(text: string): DsnParts | undefined {
  if (parsedDsns.has(text)) return parsedDsns.get(text);
  if (parsedDsns.size >= 1000) parsedDsns.clear();
  const dsn = parseDsn(text);
  if (dsn) Object.freeze(dsn);
  parsedDsns.set(text, dsn);
  return dsn;
}

/** `host[:port]`, as a host allow-list names it. */
export function dsnHost(dsn: DsnParts): string {
  return dsn.port ? `${dsn.host}:${dsn.port}` : dsn.host;
}

/** The DSN written back, e.g. `https://<key>@o1.ingest.sentry.io/42`. */
export function formatDsn(dsn: DsnParts): string {
  const path = dsn.path ? `/${dsn.path}` : '';
  return `${dsn.protocol}://${dsn.publicKey}@${dsnHost(dsn)}${path}/${dsn.projectId}`;
}

/**
 * A DSN as it may appear in logs and errors: host and project only, never the key.
 * `https://o1.ingest.sentry.io/42`; an unparseable value becomes a description of its shape.
 */
export function redactDsn(text: string | DsnParts): string {
  const dsn = typeof text === 'string' ? parseDsn(text) : text;
  if (dsn) {
    const path = dsn.path ? `/${dsn.path}` : '';
    return `${dsn.protocol}://${dsnHost(dsn)}${path}/${dsn.projectId}`;
  }
  try {
    const url = new URL(text as string);
    return `<a URL for host ${url.hostname}, not a DSN>`;
  } catch {
    return `<${(text as string).length} characters, not a URL>`;
  }
}

/**
 * Where an envelope for this DSN is POSTed: the DSN's own host, or with `upstream` (a Relay's
 * base URL) that host only, keeping the upstream's path prefix.
 */
export function envelopeEndpoint(dsn: DsnParts, upstream?: URL): URL {
  if (upstream) {
    return new URL(`${upstream.pathname.replace(/\/$/, '')}/api/${dsn.projectId}/envelope/`, upstream);
  }
  const path = dsn.path ? `/${dsn.path}` : '';
  return new URL(`${dsn.protocol}://${dsnHost(dsn)}${path}/api/${dsn.projectId}/envelope/`);
}

/**
 * Recovers the public DSN from the ingest URL the SDK hands a transport
 * (`<protocol>://<host>[/path]/api/<project>/envelope/?sentry_key=<key>&...`).
 * Undefined when the URL is not of that form (a tunnel).
 */
export function dsnFromEnvelopeEndpoint(url: string): DsnParts | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const match = /^(.*)\/api\/(\d+)\/envelope\/?$/.exec(parsed.pathname);
  const key = parsed.searchParams.get('sentry_key');
  if (!match || !key) return undefined;
  const [, path = '', projectId = ''] = match;
  return parseDsn(`${parsed.protocol}//${encodeURIComponent(key)}@${parsed.host}${path}/${projectId}`);
}
