import { type DsnParts, FaultlineError, formatDsn, parseDsn, redactDsn } from '@faultline/contract';

/** An upstream DSN the intake accepts envelopes for. */
export interface ProjectKey {
  /** The DSN as configured (Sentry's or a Relay's): written into each message for the forwarder. */
  dsn: string;
  parts: DsnParts;
}

export type KeyCheck = { ok: true; key: ProjectKey } | { ok: false; status: 401 | 403; detail: string };

export interface ProjectKeys {
  /** Whether the public key may send to this project. */
  check(publicKey: string, projectId: string): KeyCheck;
  readonly size: number;
}

/**
 * The allow-list: the upstream DSN of each project the intake serves. An SDK authenticates with
 * that DSN's public key and project id (its own DSN names the intake's host instead of Sentry's);
 * a key the list does not hold, or a key used for another project, is refused (403). Throws a
 * `ConfigError`-coded error at start-up when an entry is not a DSN.
 */
export function createProjectKeys(dsns: readonly string[]): ProjectKeys {
  const byKey = new Map<string, ProjectKey[]>();
  const problems: string[] = [];
  dsns.forEach((text, i) => {
    const parts = parseDsn(text.trim());
    if (!parts) {
      problems.push(`entry ${i + 1} (${redactDsn(text)}) is not a DSN`);
      return;
    }
    const list = byKey.get(parts.publicKey) ?? [];
    list.push({ dsn: formatDsn(parts), parts });
    byKey.set(parts.publicKey, list);
  });
  if (byKey.size === 0 && problems.length === 0) problems.push('name at least one DSN');
  if (problems.length > 0) {
    throw new FaultlineError('FAULTLINE_CONFIG', `intake DSNs: ${problems.join('; ')}`);
  }
  return {
    size: byKey.size,
    check(publicKey, projectId) {
      const keys = byKey.get(publicKey);
      if (!keys) return { ok: false, status: 403, detail: 'unknown public key' };
      const key = keys.find((k) => k.parts.projectId === projectId);
      if (!key) return { ok: false, status: 403, detail: 'the public key does not belong to this project' };
      return { ok: true, key };
    },
  };
}
