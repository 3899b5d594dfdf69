import { FaultlineError } from '@faultline/contract';
import type { MonitorConfig } from '@sentry/core';
import * as Sentry from '@sentry/node';
import type { MonitorSchedule } from './crontab.js';

export interface JobConfig {
  /** What Sentry expects: a crontab string, or a schedule object. */
  schedule: string | MonitorSchedule;
  /** IANA time zone of the schedule. @default UTC */
  timezone?: string;
  /** Minutes after the expected time before a run counts as missed. @default Sentry's (1) */
  checkinMargin?: number;
  /**
   * Longest run, in minutes: when exceeded, an error check-in, a captured timeout error, and the
   * job's AbortSignal fires. @default none (Sentry's own default applies to the monitor)
   */
  maxRuntime?: number;
  /** The same bound in milliseconds, for sub-minute jobs; wins over maxRuntime for the timeout. */
  maxRuntimeMs?: number;
  /** Consecutive failed check-ins before Sentry opens an issue. */
  failureIssueThreshold?: number;
  /** Consecutive successful check-ins before Sentry resolves it. */
  recoveryThreshold?: number;
  /** A run due while another runs: skip it (counted), queue it, or allow both. @default 'skip' */
  overlap?: 'skip' | 'queue' | 'allow';
  /** Retries after a failure, each one a breadcrumb. @default { attempts: 0 } */
  retries?: { attempts: number; backoffMs?: number; factor?: number };
}

export interface JobContext {
  slug: string;
  /** Fires when the run exceeds its max runtime (or the job is stopped). */
  signal: AbortSignal;
  /** 1 for the first attempt. */
  attempt: number;
  scheduledAt: Date | undefined;
}

export type JobOutcome = 'ok' | 'error' | 'timeout' | 'skipped';

export interface RunResult {
  outcome: JobOutcome;
  attempts: number;
  durationMs: number;
  error?: unknown;
}

export interface MonitoredJob {
  /** Runs the job once, with check-ins, a span and breadcrumbs. Never rejects: the outcome says. */
  run(meta?: { scheduledAt?: Date }): Promise<RunResult>;
  readonly slug: string;
  stats(): { runs: number; ok: number; errors: number; timeouts: number; skipped: number; running: number };
}

/** The error captured when a run exceeds its max runtime. */
export class JobTimeoutError extends FaultlineError {
  constructor(slug: string, ms: number) {
    super('FAULTLINE_JOB_TIMEOUT', `job "${slug}" exceeded its max runtime of ${ms} ms`);
    this.name = 'JobTimeoutError';
  }
}

/**
 * Wraps a scheduled job so each run reports to Sentry: `in_progress`, then `ok` or `error`
 * check-ins with the duration and the monitor config Sentry upserts; an isolation scope and a
 * span per run; breadcrumbs on start, success, failure and retry carrying the scheduled time,
 * start delay, attempt and duration, so an error inside a job shows its history. Enforces the
 * max runtime (AbortSignal, timeout error), the overlap policy and retries with backoff.
 *
 * @example
 * ```ts
 * const job = monitorJob('nightly-report', { schedule: '0 3 * * *', maxRuntime: 30 }, async ({ signal }) => build(signal));
 * await job.run();
 * ```
 */
export function monitorJob(
  slug: string,
  config: JobConfig,
  fn: (context: JobContext) => unknown | Promise<unknown>,
): MonitoredJob {
  const monitorConfig = toMonitorConfig(config);
  const timeoutMs =
    config.maxRuntimeMs ?? (config.maxRuntime === undefined ? undefined : config.maxRuntime * 60_000);
  const overlap = config.overlap ?? 'skip';
  const attempts = 1 + Math.max(0, config.retries?.attempts ?? 0);
  const stats = { runs: 0, ok: 0, errors: 0, timeouts: 0, skipped: 0, running: 0 };
  let queue: Promise<unknown> = Promise.resolve();

  const breadcrumb = (message: string, level: Sentry.SeverityLevel, data: Record<string, unknown>) =>
    Sentry.addBreadcrumb({ category: 'job', message: `${slug}: ${message}`, level, data: { slug, ...data } });

  async function attemptOnce(
    attempt: number,
    scheduledAt: Date | undefined,
  ): Promise<{ ok: true } | { ok: false; error: unknown; timedOut: boolean }> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout =
      timeoutMs === undefined
        ? undefined
        : new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const error = new JobTimeoutError(slug, timeoutMs);
              controller.abort(error);
              reject(error);
            }, timeoutMs);
          });
    try {
      const work = Promise.resolve().then(() =>
        fn({ slug, signal: controller.signal, attempt, scheduledAt }),
      );
      await (timeout ? Promise.race([work, timeout]) : work);
      return { ok: true };
    } catch (error) {
      return { ok: false, error, timedOut: error instanceof JobTimeoutError };
    } finally {
      clearTimeout(timer);
    }
  }

  async function execute(scheduledAt: Date | undefined): Promise<RunResult> {
    stats.runs++;
    stats.running++;
    const started = Date.now();
    return Sentry.withIsolationScope(async (scope) => {
      scope.setTag('job', slug);
      scope.setContext('job', {
        slug,
        scheduled_at: scheduledAt?.toISOString(),
        schedule: JSON.stringify(monitorConfig.schedule),
      });
      const checkInId = Sentry.captureCheckIn({ monitorSlug: slug, status: 'in_progress' }, monitorConfig);
      const startDelayMs = scheduledAt ? started - scheduledAt.getTime() : undefined;
      breadcrumb('started', 'info', {
        scheduled_at: scheduledAt?.toISOString(),
        start_delay_ms: startDelayMs,
        attempt: 1,
      });
      try {
        return await Sentry.startSpan(
          {
            name: slug,
            op: 'function.job',
            attributes: { 'job.slug': slug, 'job.scheduled_at': scheduledAt?.toISOString() },
          },
          async (span) => {
            let backoff = config.retries?.backoffMs ?? 1000;
            for (let attempt = 1; ; attempt++) {
              const result = await attemptOnce(attempt, scheduledAt);
              const durationMs = Date.now() - started;
              if (result.ok) {
                breadcrumb('succeeded', 'info', { attempt, duration_ms: durationMs });
                Sentry.captureCheckIn(
                  { monitorSlug: slug, status: 'ok', checkInId, duration: durationMs / 1000 },
                  monitorConfig,
                );
                stats.ok++;
                return { outcome: 'ok' as const, attempts: attempt, durationMs };
              }
              breadcrumb(result.timedOut ? 'timed out' : 'failed', 'error', {
                attempt,
                duration_ms: durationMs,
                error: result.error instanceof Error ? result.error.message : String(result.error),
              });
              if (!result.timedOut && attempt < attempts) {
                breadcrumb('retrying', 'warning', { attempt: attempt + 1, backoff_ms: backoff });
                await new Promise((resolve) => setTimeout(resolve, backoff));
                backoff *= config.retries?.factor ?? 2;
                continue;
              }
              span.setStatus({ code: 2, message: result.timedOut ? 'deadline_exceeded' : 'internal_error' });
              Sentry.withScope((errorScope) => {
                errorScope.setContext('job', {
                  slug,
                  attempt,
                  duration_ms: durationMs,
                  scheduled_at: scheduledAt?.toISOString(),
                });
                Sentry.captureException(result.error, {
                  mechanism: { type: 'auto.function.faultline.scheduler', handled: false },
                });
              });
              Sentry.captureCheckIn(
                { monitorSlug: slug, status: 'error', checkInId, duration: durationMs / 1000 },
                monitorConfig,
              );
              if (result.timedOut) stats.timeouts++;
              else stats.errors++;
              return {
                outcome: result.timedOut ? ('timeout' as const) : ('error' as const),
                attempts: attempt,
                durationMs,
                error: result.error,
              };
            }
          },
        );
      } finally {
        stats.running--;
      }
    });
  }

  return {
    slug,
    stats: () => ({ ...stats }),
    run(meta = {}) {
      if (stats.running > 0 && overlap === 'skip') {
        stats.skipped++;
        Sentry.addBreadcrumb({
          category: 'job',
          level: 'warning',
          message: `${slug}: skipped, the previous run is still going`,
          data: { slug, scheduled_at: meta.scheduledAt?.toISOString() },
        });
        return Promise.resolve({ outcome: 'skipped', attempts: 0, durationMs: 0 });
      }
      if (overlap === 'queue') {
        const next = queue.then(() => execute(meta.scheduledAt));
        queue = next.catch(() => undefined);
        return next;
      }
      return execute(meta.scheduledAt);
    },
  };
}

/** The monitor config Sentry upserts, from a job's config. */
export function toMonitorConfig(config: JobConfig): MonitorConfig {
  const monitor: MonitorConfig = {
    schedule:
      typeof config.schedule === 'string' ? { type: 'crontab', value: config.schedule } : config.schedule,
  };
  if (config.timezone) monitor.timezone = config.timezone;
  if (config.checkinMargin !== undefined) monitor.checkinMargin = config.checkinMargin;
  if (config.maxRuntime !== undefined) monitor.maxRuntime = config.maxRuntime;
  else if (config.maxRuntimeMs !== undefined)
    monitor.maxRuntime = Math.max(1, Math.ceil(config.maxRuntimeMs / 60_000));
  if (config.failureIssueThreshold !== undefined)
    monitor.failureIssueThreshold = config.failureIssueThreshold;
  if (config.recoveryThreshold !== undefined) monitor.recoveryThreshold = config.recoveryThreshold;
  return monitor;
}
