// The same job inside a long-running service, on a croner schedule. Runs for RUN_SECONDS (default
// 65) so at least one run happens, then stops.

import { scheduleWithCroner } from '@faultline/scheduler';
import * as Sentry from '@sentry/node';
import { Cron } from 'croner';
import { buildReport } from './build-report.mjs';

const scheduled = scheduleWithCroner(Cron, 'nightly-report-minutely', '* * * * *', buildReport, {
  timezone: 'Europe/Berlin',
  monitor: { maxRuntime: 1, checkinMargin: 1 },
});
await new Promise((resolve) => setTimeout(resolve, Number(process.env.RUN_SECONDS ?? 65) * 1000));
scheduled.stop();
console.log('nightly-report (scheduled):', JSON.stringify(scheduled.stats()));
await Sentry.flush(2000);
