import * as Sentry from '@sentry/node';
import { type JobConfig, type JobContext, monitorJob, type RunResult } from './monitor-job.js';

export interface RunOnceOptions extends Partial<JobConfig> {
  /** Bound on sending the check-ins before the process ends. @default 5000 ms */
  flushTimeoutMs?: number;
  /** Call `process.exit()` with the outcome's code after flushing, for processes that must end. @default false */
  exit?: boolean;
}

/**
 * For a process that exists to run one job (a Kubernetes CronJob, a CLI): runs it with
 * check-ins, flushes them within a bound (short-lived processes lose queued check-ins
 * otherwise), and sets the exit code from the outcome: 0 for ok, 1 otherwise.
 */
export async function runJobOnce(
  slug: string,
  fn: (context: JobContext) => unknown,
  options: RunOnceOptions = {},
): Promise<RunResult> {
  const { flushTimeoutMs = 5000, exit = false, ...config } = options;
  const job = monitorJob(
    slug,
    { schedule: config.schedule ?? { type: 'interval', value: 1, unit: 'day' }, ...config },
    fn,
  );
  const result = await job.run({ scheduledAt: new Date() });
  await Sentry.flush(flushTimeoutMs);
  process.exitCode = result.outcome === 'ok' ? 0 : 1;
  if (exit) process.exit();
  return result;
}
