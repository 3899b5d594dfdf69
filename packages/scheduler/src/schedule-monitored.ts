import { claimSlug } from './active-slugs.js';
import { type AdapterMonitorOptions, type ScheduledJob, tickTime } from './adapter-options.js';
import { toSentryCrontab } from './crontab.js';
import { type JobContext, monitorJob } from './monitor-job.js';

/**
 * What every adapter does: derive the monitor from the library's expression (unless given),
 * claim the slug, wrap `fn` in `monitorJob`, and let the library call the wrapped tick.
 * `start` creates the library's job around the tick; `stopJob` stops it.
 */
export function scheduleMonitored<J>(
  slug: string,
  expression: string,
  fn: (context: JobContext) => unknown,
  options: { timezone?: string; monitor?: AdapterMonitorOptions },
  start: (tick: () => Promise<void>) => J,
  stopJob: (job: J) => unknown,
): ScheduledJob<J> {
  const schedule = options.monitor?.schedule ?? toSentryCrontab(expression);
  const release = claimSlug(slug);
  const monitored = monitorJob(slug, { timezone: options.timezone, ...options.monitor, schedule }, fn);
  let job: J;
  try {
    job = start(async () => {
      await monitored.run({ scheduledAt: tickTime() });
    });
  } catch (error) {
    release();
    throw error;
  }
  return {
    job,
    stats: monitored.stats,
    stop() {
      void stopJob(job);
      release();
    },
  };
}
