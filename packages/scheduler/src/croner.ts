import { claimSlug } from './active-slugs.js';
import { type AdapterMonitorOptions, type ScheduledJob, tickTime } from './adapter-options.js';
import { toSentryCrontab } from './crontab.js';
import { type JobContext, monitorJob } from './monitor-job.js';

/** The part of croner's `Cron` class the adapter uses (croner 9 to 11). */
export interface CronerLike {
  new (
    pattern: string,
    options: { timezone?: string; name?: string },
    fn: () => void | Promise<void>,
  ): { stop(): void };
}

/**
 * Schedules `fn` with croner and reports every run to the monitor `slug`. The monitor's schedule
 * and time zone come from the pattern and `timezone` (a seconds-level pattern needs an explicit
 * `monitor.schedule`: Sentry stores crontabs of minutes). Errors are captured even though croner
 * would otherwise log or swallow them.
 */
export function scheduleWithCroner<C extends CronerLike>(
  Cron: C,
  slug: string,
  pattern: string,
  fn: (context: JobContext) => unknown,
  options: { timezone?: string; monitor?: AdapterMonitorOptions } = {},
): ScheduledJob<InstanceType<C>> {
  const schedule = options.monitor?.schedule ?? toSentryCrontab(pattern);
  const release = claimSlug(slug);
  const monitored = monitorJob(slug, { timezone: options.timezone, ...options.monitor, schedule }, fn);
  const job = new Cron(pattern, { timezone: options.timezone, name: slug }, async () => {
    await monitored.run({ scheduledAt: tickTime() });
  }) as InstanceType<C>;
  return {
    job,
    stats: monitored.stats,
    stop() {
      job.stop();
      release();
    },
  };
}
