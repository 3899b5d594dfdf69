import { claimSlug } from './active-slugs.js';
import { type AdapterMonitorOptions, type ScheduledJob, tickTime } from './adapter-options.js';
import { toSentryCrontab } from './crontab.js';
import { type JobContext, monitorJob } from './monitor-job.js';

/** The part of node-cron 4 the adapter uses. */
export interface NodeCronLike {
  schedule(
    expression: string,
    fn: () => void | Promise<void>,
    options?: { name?: string; timezone?: string },
  ): { stop(): unknown };
}

/**
 * Schedules `fn` with node-cron 4 and reports every run to the monitor `slug`. node-cron swallows
 * errors thrown by a task; here they are captured, with the run's check-in set to `error`.
 */
export function scheduleWithNodeCron<L extends NodeCronLike>(
  nodeCron: L,
  slug: string,
  expression: string,
  fn: (context: JobContext) => unknown,
  options: { timezone?: string; monitor?: AdapterMonitorOptions } = {},
): ScheduledJob<ReturnType<L['schedule']>> {
  const schedule = options.monitor?.schedule ?? toSentryCrontab(expression);
  const release = claimSlug(slug);
  const monitored = monitorJob(slug, { timezone: options.timezone, ...options.monitor, schedule }, fn);
  const task = nodeCron.schedule(
    expression,
    async () => {
      await monitored.run({ scheduledAt: tickTime() });
    },
    { name: slug, timezone: options.timezone },
  ) as ReturnType<L['schedule']>;
  return {
    job: task,
    stats: monitored.stats,
    stop() {
      void task.stop();
      release();
    },
  };
}
