/** A DSN parsed far enough to route and authenticate an envelope. */
export interface RoutedDsn {
  protocol: 'http' | 'https';
  publicKey: string;
  /** host[:port] */
  host: string;
  /** Path before the project id, with a leading slash, or ''. */
  path: string;
  projectId: string;
}

/**
 * Parses a DSN without logging anything. (`@sentry/core`'s `makeDsn` prints a string it cannot
 * parse to the console in full, and a DSN from a message must never reach a log.)
 */
export function parseRoutedDsn(text: string): RoutedDsn | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const protocol = url.protocol.slice(0, -1);
  if ((protocol !== 'http' && protocol !== 'https') || !url.username || url.search || url.hash)
    return undefined;
  const segments = url.pathname.split('/').filter(Boolean);
  const projectId = segments.pop();
  if (!projectId || !/^\d+$/.test(projectId)) return undefined;
  return {
    protocol,
    publicKey: decodeURIComponent(url.username),
    host: url.host,
    path: segments.length > 0 ? `/${segments.join('/')}` : '',
    projectId,
  };
}

/**
 * The DSNs the forwarder may deliver for: entries are public keys (any host, any project with
 * that key) or full DSNs (that key, host and project). Anything else is dead-lettered, and no
 * request is ever made to its host.
 */
export function createAllowList(entries: readonly string[]): (dsn: RoutedDsn) => boolean {
  const keys = new Set<string>();
  const full = new Set<string>();
  for (const entry of entries) {
    const dsn = parseRoutedDsn(entry);
    if (dsn) full.add(`${dsn.publicKey}@${dsn.host}${dsn.path}/${dsn.projectId}`);
    else keys.add(entry);
  }
  return (dsn) =>
    keys.has(dsn.publicKey) || full.has(`${dsn.publicKey}@${dsn.host}${dsn.path}/${dsn.projectId}`);
}
