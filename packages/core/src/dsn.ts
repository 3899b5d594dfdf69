/** The parts of a Sentry DSN that Faultline uses. */
export interface DsnParts {
  protocol: 'http' | 'https';
  publicKey: string;
  host: string;
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
    publicKey: decodeURIComponent(url.username),
    host: url.hostname,
    port: url.port,
    path: segments.join('/'),
    projectId,
  };
}

/**
 * A DSN as it may appear in logs and errors: host and project only, never the key.
 * `https://o1.ingest.sentry.io/42`; an unparseable value becomes a description of its shape.
 */
export function redactDsn(text: string): string {
  const dsn = parseDsn(text);
  if (dsn) {
    const port = dsn.port ? `:${dsn.port}` : '';
    const path = dsn.path ? `/${dsn.path}` : '';
    return `${dsn.protocol}://${dsn.host}${port}${path}/${dsn.projectId}`;
  }
  try {
    const url = new URL(text);
    return `<a URL for host ${url.hostname}, not a DSN>`;
  } catch {
    return `<${text.length} characters, not a URL>`;
  }
}
