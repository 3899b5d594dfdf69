import { makeDsn } from '@sentry/core';

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

/** Parses a DSN with `@sentry/core`'s own parser (which logs nothing unless SDK debug is on). */
export function parseRoutedDsn(text: string): RoutedDsn | undefined {
  const dsn = makeDsn(text);
  if (!dsn?.publicKey) return undefined;
  return {
    protocol: dsn.protocol,
    publicKey: dsn.publicKey,
    host: dsn.port ? `${dsn.host}:${dsn.port}` : dsn.host,
    path: dsn.path ? `/${dsn.path}` : '',
    projectId: dsn.projectId,
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
