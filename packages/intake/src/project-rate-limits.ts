/** Quotas per data category (`error`, `transaction`, `span`, `attachment`...), per minute. */
export type CategoryQuotas = Readonly<Record<string, number>>;

export interface ProjectRateLimits {
  /**
   * Takes `quantity` from the project's quota for the category in the current minute; false (and
   * nothing taken) when that would pass the quota. Categories without a quota always pass.
   */
  admit(projectId: string, category: string, quantity: number, nowMs: number): boolean;
  /** Whether the category of the project is over its quota now (to answer before reading more). */
  exhausted(projectId: string, category: string, nowMs: number): boolean;
  /** Whole seconds until the current window ends: the `Retry-After` of a refusal. */
  retryAfter(nowMs: number): number;
  /** The quota this instance enforces for a project and category, if any. */
  quotaOf(projectId: string, category: string): number | undefined;
}

/** Sentry's quotas are windows aligned to the epoch, so every instance's minute starts together. */
const WINDOW_MS = 60_000;

/**
 * Per-project, per-category quotas over fixed one-minute windows (the seed's
 * `max_events_per_minute`, per category). With several instances behind a load balancer, each
 * enforces its share: `ceil(quota / instances)`. A balancer that spreads requests evenly keeps the
 * total within about the quota; one that pins a project to one instance lets through only that
 * share. Memory: one counter per project and limited category (projects come from the allow-list).
 */
export function createProjectRateLimits(options: {
  quotas: CategoryQuotas;
  projectQuotas?: Readonly<Record<string, CategoryQuotas>>;
  instances?: number;
}): ProjectRateLimits {
  const instances = Math.max(1, options.instances ?? 1);
  const share = (quota: number) => Math.ceil(quota / instances);
  const counters = new Map<string, { window: number; used: number }>();
  const quotaOf = (projectId: string, category: string) => {
    const quota = options.projectQuotas?.[projectId]?.[category] ?? options.quotas[category];
    return quota === undefined ? undefined : share(quota);
  };
  const counter = (projectId: string, category: string, nowMs: number) => {
    const key = `${projectId}\u0000${category}`;
    const window = Math.floor(nowMs / WINDOW_MS);
    let entry = counters.get(key);
    if (!entry) {
      entry = { window, used: 0 };
      counters.set(key, entry);
    } else if (entry.window !== window) {
      entry.window = window;
      entry.used = 0;
    }
    return entry;
  };
  return {
    quotaOf,
    admit(projectId, category, quantity, nowMs) {
      const quota = quotaOf(projectId, category);
      if (quota === undefined) return true;
      const entry = counter(projectId, category, nowMs);
      if (entry.used + quantity > quota) return false;
      entry.used += quantity;
      return true;
    },
    exhausted(projectId, category, nowMs) {
      const quota = quotaOf(projectId, category);
      return quota !== undefined && counter(projectId, category, nowMs).used >= quota;
    },
    retryAfter: (nowMs) => Math.max(1, Math.ceil((WINDOW_MS - (nowMs % WINDOW_MS)) / 1000)),
  };
}

/**
 * `X-Sentry-Rate-Limits` as Sentry writes it: `<seconds>:<categories joined by ;>:<scope>:<reason>`.
 * SDKs stop sending those categories for that long, and count what they drop meanwhile as
 * `ratelimit_backoff` in their client reports.
 */
export function rateLimitHeader(retryAfterSeconds: number, categories: readonly string[]): string {
  return `${retryAfterSeconds}:${categories.join(';')}:project:project_quota`;
}
