import { claimSlug } from './active-slugs.js';
import { type AdapterMonitorOptions, type ScheduledJob, tickTime } from './adapter-options.js';
import { toSentryCrontab } from './crontab.js';
import { type JobContext, monitorJob } from './monitor-job.js';

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
  const schedule = options.monitor?.schedule ?? toSentryCrontab(cronTime);
  const release = claimSlug(slug);
  const monitored = monitorJob(slug, { timezone: options.timezone, ...options.monitor, schedule }, fn);
  const job = CronJob.from({
    cronTime,
    onTick: async () => {
      await monitored.run({ scheduledAt: tickTime() });
    },
    start: true,
    timeZone: options.timezone,
    name: slug,
  }) as ReturnType<L['from']>;
  return {
    job,
    stats: monitored.stats,
    stop() {
      void job.stop();
      release();
    },
  };
}
