import { FaultlineError } from '@faultline/contract';
/** The schedule Sentry upserts for a monitor. */
export type MonitorSchedule =
  | { type: 'crontab'; value: string }
  | { type: 'interval'; value: number; unit: 'year' | 'month' | 'week' | 'day' | 'hour' | 'minute' };

/** A schedule that Sentry cannot store as a monitor (it has no seconds, and 5 fields only). */
export class ScheduleError extends FaultlineError {
  constructor(message: string) {
    super('FAULTLINE_SCHEDULE', message);
    this.name = 'ScheduleError';
  }
}

const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/**
 * A scheduler library's cron expression as the 5-field crontab Sentry stores. A 6-field
 * expression is accepted when its seconds field is one fixed number (it runs once a minute at
 * most, like a crontab); anything running more often than once a minute, or in another form,
 * throws a ScheduleError saying so, so the mismatch shows at setup rather than as missed check-ins.
 */
export function toSentryCrontab(expression: string): string {
  const trimmed = expression.trim();
  const nickname = NICKNAMES[trimmed.toLowerCase()];
  if (nickname) return nickname;
  const fields = trimmed.split(/\s+/);
  if (fields.length === 5) return fields.join(' ');
  if (fields.length === 6) {
    if (/^\d{1,2}$/.test(fields[0] ?? '')) return fields.slice(1).join(' ');
    throw new ScheduleError(
      `schedule "${expression}" runs more than once a minute (seconds field "${fields[0]}"); Sentry monitors ` +
        'count check-ins per minute at most: pass an explicit monitor schedule, e.g. { type: "interval", value: 1, unit: "minute" }',
    );
  }
  throw new ScheduleError(
    `schedule "${expression}" is not a cron expression of 5 fields (or 6 with fixed seconds)`,
  );
}
