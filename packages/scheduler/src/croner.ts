import type { AdapterMonitorOptions, ScheduledJob } from './adapter-options.js';
import type { JobContext } from './monitor-job.js';
import { scheduleMonitored } from './schedule-monitored.js';

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
  return scheduleMonitored(
    slug,
    pattern,
    fn,
    options,
    (tick) => new Cron(pattern, { timezone: options.timezone, name: slug }, tick) as InstanceType<C>,
    (job) => job.stop(),
  );
}
