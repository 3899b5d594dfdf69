import type { AdapterMonitorOptions, ScheduledJob } from './adapter-options.js';
import type { JobContext } from './monitor-job.js';
import { scheduleMonitored } from './schedule-monitored.js';

/** The part of the `cron` package's `CronJob` (v4) the adapter uses. */
export interface CronJobLike {
  from(params: {
    cronTime: string;
    onTick: () => void | Promise<void>;
    start?: boolean;
    timeZone?: string;
    name?: string;
  }): { stop(): unknown };
}

/**
 * Schedules `fn` with the `cron` package (v4) and reports every run to the monitor `slug`,
 * capturing errors its ticks throw.
 */
export function scheduleWithCron<L extends CronJobLike>(
  CronJob: L,
  slug: string,
  cronTime: string,
  fn: (context: JobContext) => unknown,
  options: { timezone?: string; monitor?: AdapterMonitorOptions } = {},
): ScheduledJob<ReturnType<L['from']>> {
  return scheduleMonitored(
    slug,
    cronTime,
    fn,
    options,
    (tick) =>
      CronJob.from({
        cronTime,
        onTick: tick,
        start: true,
        timeZone: options.timezone,
        name: slug,
      }) as ReturnType<L['from']>,
    (job) => job.stop(),
  );
}
