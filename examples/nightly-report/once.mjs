// A Kubernetes CronJob style process: run the job once, send its check-ins, exit with its outcome.
import { runJobOnce } from '@faultline/scheduler';
import { buildReport } from './build-report.mjs';

const result = await runJobOnce('nightly-report', buildReport, {
  schedule: '0 3 * * *',
  timezone: 'Europe/Berlin',
  maxRuntime: 30,
  retries: { attempts: 2, backoffMs: 500 },
});
console.log(`nightly-report: ${result.outcome} after ${result.attempts} attempt(s), ${result.durationMs} ms`);
