import type { AdapterMonitorOptions, ScheduledJob } from './adapter-options.js';
import type { JobContext } from './monitor-job.js';
import { scheduleMonitored } from './schedule-monitored.js';

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
  return scheduleMonitored(
    slug,
    expression,
    fn,
    options,
    (tick) =>
      nodeCron.schedule(expression, tick, { name: slug, timezone: options.timezone }) as ReturnType<
        L['schedule']
      >,
    (task) => task.stop(),
  );
}
