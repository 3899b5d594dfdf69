import { type DsnParts, dsnHost, FaultlineError, parseDsn, redactDsn } from '@faultline/contract';

export interface AllowListConfig {
  /** Full DSNs or bare public keys. */
  allowedDsns: readonly string[];
  /** Hosts (`host` or `host:port`) bare keys may be delivered to, without an upstream. */
  allowedHosts?: readonly string[];
  /** With an upstream, only it is ever called: keys alone are enough. */
  hasUpstream: boolean;
}

/**
 * The DSNs the forwarder may deliver for. A full DSN allows that key, host and project. A bare
 * public key allows that key for any project: on any host when an upstream is configured (only
 * the upstream is called), otherwise only on `allowedHosts`. Throws at start-up when a bare key
 * would let a message pick the host: public keys ship in front-end bundles, so anyone who can
 * write to the topic could otherwise send envelopes, and their contents, anywhere.
 */
export function createAllowList(config: AllowListConfig): (dsn: DsnParts) => boolean {
  const keys = new Set<string>();
  const full = new Set<string>();
  const problems: string[] = [];
  const hosts = new Set((config.allowedHosts ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean));
  config.allowedDsns.forEach((entry, i) => {
    const dsn = parseDsn(entry);
    if (dsn) full.add(identity(dsn));
    else if (/^\w+$/.test(entry)) keys.add(entry);
    else problems.push(`allowed DSN entry ${i + 1} (${redactDsn(entry)}) is neither a DSN nor a public key`);
  });
  if (full.size + keys.size === 0 && problems.length === 0)
    problems.push('allowedDsns must name at least one DSN or public key');
  if (keys.size > 0 && !config.hasUpstream && hosts.size === 0) {
    problems.push(
      `${keys.size} allowed entr${keys.size === 1 ? 'y is a bare public key' : 'ies are bare public keys'}: without an upstream every entry must bind a host. Give full DSNs, set allowedHosts (FAULTLINE_FORWARDER_ALLOWED_HOSTS), or set an upstream (FAULTLINE_FORWARDER_UPSTREAM)`,
    );
  }
  if (problems.length > 0)
    throw new FaultlineError('FAULTLINE_CONFIG', `forwarder allow-list: ${problems.join('; ')}`);
  return (dsn) => {
    if (full.has(identity(dsn))) return true;
    if (!keys.has(dsn.publicKey)) return false;
    return config.hasUpstream || hosts.has(dsnHost(dsn).toLowerCase()) || hosts.has(dsn.host.toLowerCase());
  };
}

const identities = new WeakMap<DsnParts, string>();

/** Key, host, port, path and project: what must match for a full DSN entry. */
export function identity(dsn: DsnParts): string {
  let id = identities.get(dsn);
  if (id === undefined) {
    id = `${dsn.publicKey}@${dsnHost(dsn).toLowerCase()}/${dsn.path}/${dsn.projectId}`;
    identities.set(dsn, id);
  }
  return id;
}
