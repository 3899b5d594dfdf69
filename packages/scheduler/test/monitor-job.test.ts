import { createIngestDouble, type IngestDouble, uniqueName, waitUntil } from '@faultline/testkit';
import type { Event } from '@sentry/core';
import * as Sentry from '@sentry/node';
import { CronJob } from 'cron';
import { Cron } from 'croner';
import cron from 'node-cron';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JobTimeoutError,
  monitorJob,
  ScheduleError,
  scheduleWithCron,
  scheduleWithCroner,
  scheduleWithNodeCron,
  toSentryCrontab,
} from '../src/index.js';

// The real SDK sending to the ingest double; assertions are on the envelopes that arrive.
let ingest: IngestDouble;
beforeAll(async () => {
  ingest = await createIngestDouble();
  Sentry.init({ dsn: ingest.dsn(9), release: 'jobs@1.0.0', environment: 'test' });
});
afterAll(async () => {
  await Sentry.close(2000);
  await ingest.close();
});

type CheckIn = {
  check_in_id: string;
  monitor_slug: string;
  status: string;
  duration?: number;
  monitor_config?: unknown;
};

function items<T>(type: string, filter: (payload: T) => boolean = () => true): T[] {
  return ingest.items<T>(type).filter(filter);
}
const checkIns = (slug: string) => items<CheckIn>('check_in', (c) => c.monitor_slug === slug);
const errorsOf = (slug: string) => items<Event>('event', (e) => e.tags?.job === slug);

describe('monitorJob', () => {
  it('sends in_progress then ok, with the duration and the monitor config Sentry upserts', async () => {
    const slug = uniqueName('report');
    const job = monitorJob(
      slug,
      {
        schedule: '0 3 * * *',
        timezone: 'Europe/Berlin',
        checkinMargin: 5,
        maxRuntime: 30,
        failureIssueThreshold: 2,
        recoveryThreshold: 3,
      },
      () => new Promise((resolve) => setTimeout(resolve, 50)),
    );
    await expect(job.run()).resolves.toMatchObject({ outcome: 'ok', attempts: 1 });
    await Sentry.flush(2000);
    const [started, finished] = checkIns(slug);
    expect(started).toMatchObject({
      status: 'in_progress',
      monitor_config: {
        schedule: { type: 'crontab', value: '0 3 * * *' },
        timezone: 'Europe/Berlin',
        checkin_margin: 5,
        max_runtime: 30,
        failure_issue_threshold: 2,
        recovery_threshold: 3,
      },
    });
    expect(finished).toMatchObject({ status: 'ok', check_in_id: started?.check_in_id });
    expect(finished?.duration).toBeGreaterThanOrEqual(0.05);
  });

  it('sends an error check-in and captures the error once, with the run history', async () => {
    const slug = uniqueName('import');
    const job = monitorJob(slug, { schedule: '*/5 * * * *' }, () => {
      throw new Error('upstream file missing');
    });
    expect((await job.run({ scheduledAt: new Date(Date.now() - 1500) })).outcome).toBe('error');
    await Sentry.flush(2000);
    expect(checkIns(slug).map((c) => c.status)).toEqual(['in_progress', 'error']);
    const events = errorsOf(slug);
    expect(events).toHaveLength(1);
    expect(events[0]?.contexts?.job).toMatchObject({ slug, attempt: 1 });
    const crumbs = (events[0]?.breadcrumbs ?? []).filter((b) => b.category === 'job').map((b) => b.message);
    expect(crumbs).toEqual([`${slug}: started`, `${slug}: failed`]);
    const startCrumb = events[0]?.breadcrumbs?.find((b) => b.message === `${slug}: started`);
    expect(startCrumb?.data?.start_delay_ms).toBeGreaterThanOrEqual(1500);
  });

  it('times out at max runtime: the signal fires, an error check-in and a timeout error are sent', async () => {
    const slug = uniqueName('slow');
    let aborted = false;
    const job = monitorJob(slug, { schedule: '* * * * *', maxRuntimeMs: 200 }, ({ signal }) => {
      return new Promise((resolve) => {
        signal.addEventListener('abort', () => {
          aborted = true;
          resolve(undefined);
        });
      });
    });
    const result = await job.run();
    expect(result.outcome).toBe('timeout');
    expect(result.error).toBeInstanceOf(JobTimeoutError);
    expect(aborted).toBe(true);
    await Sentry.flush(2000);
    expect(checkIns(slug).map((c) => c.status)).toEqual(['in_progress', 'error']);
    expect(errorsOf(slug)[0]?.exception?.values?.[0]?.type).toBe('JobTimeoutError');
  });

  it('skips an overlapping run by default, and counts it', async () => {
    const slug = uniqueName('overlap');
    let release: () => void = () => undefined;
    const job = monitorJob(
      slug,
      { schedule: '* * * * *' },
      () => new Promise<void>((resolve) => (release = resolve)),
    );
    const first = job.run();
    const second = await job.run();
    expect(second.outcome).toBe('skipped');
    release();
    await first;
    await Sentry.flush(2000);
    expect(job.stats()).toMatchObject({ runs: 1, skipped: 1, ok: 1 });
    expect(checkIns(slug).map((c) => c.status)).toEqual(['in_progress', 'ok']);
  });

  it('queues an overlapping run when told to', async () => {
    const slug = uniqueName('queued');
    const order: number[] = [];
    let n = 0;
    const job = monitorJob(slug, { schedule: '* * * * *', overlap: 'queue' }, async () => {
      const me = ++n;
      await new Promise((resolve) => setTimeout(resolve, 30));
      order.push(me);
    });
    await Promise.all([job.run(), job.run()]);
    expect(order).toEqual([1, 2]);
    expect(job.stats()).toMatchObject({ runs: 2, ok: 2, skipped: 0 });
  });

  it('retries with backoff, each attempt visible, and succeeds', async () => {
    const slug = uniqueName('flaky');
    const job = monitorJob(
      slug,
      { schedule: '* * * * *', retries: { attempts: 2, backoffMs: 20 } },
      ({ attempt }) => {
        if (attempt < 3) throw new Error(`attempt ${attempt} failed`);
        Sentry.captureMessage(`${slug} made it`);
      },
    );
    expect(await job.run()).toMatchObject({ outcome: 'ok', attempts: 3 });
    await Sentry.flush(2000);
    expect(checkIns(slug).map((c) => c.status)).toEqual(['in_progress', 'ok']);
    const message = items<Event>('event', (e) => e.message === `${slug} made it`)[0];
    const crumbs = (message?.breadcrumbs ?? [])
      .filter((b) => b.category === 'job' && b.data?.slug === slug)
      .map((b) => b.message?.replace(`${slug}: `, ''));
    expect(crumbs).toEqual(['started', 'failed', 'retrying', 'failed', 'retrying']);
  });
});

describe('toSentryCrontab', () => {
  it('accepts crontabs, nicknames and fixed-seconds 6-field expressions', () => {
    expect(toSentryCrontab('*/5 * * * *')).toBe('*/5 * * * *');
    expect(toSentryCrontab('@hourly')).toBe('0 * * * *');
    expect(toSentryCrontab('0 30 2 * * 1')).toBe('30 2 * * 1');
  });
  it('refuses what Sentry cannot store, saying why', () => {
    expect(() => toSentryCrontab('* * * * * *')).toThrow(ScheduleError);
    expect(() => toSentryCrontab('*/10 * * * * *')).toThrow(/runs more than once a minute/);
    expect(() => toSentryCrontab('every day')).toThrow(/not a cron expression/);
  });
});

describe('adapters, each with a real every-second schedule', () => {
  const everyMinute = { type: 'interval' as const, value: 1, unit: 'minute' as const };

  it.each([
    [
      'croner',
      (slug: string, fn: () => void) =>
        scheduleWithCroner(Cron, slug, '* * * * * *', fn, { monitor: { schedule: everyMinute } }),
    ],
    [
      'node-cron',
      (slug: string, fn: () => void) =>
        scheduleWithNodeCron(cron, slug, '* * * * * *', fn, { monitor: { schedule: everyMinute } }),
    ],
    [
      'cron',
      (slug: string, fn: () => void) =>
        scheduleWithCron(CronJob, slug, '* * * * * *', fn, { monitor: { schedule: everyMinute } }),
    ],
  ])(
    '%s: runs report check-ins, thrown errors are captured, double scheduling is refused',
    async (_, schedule) => {
      const slug = uniqueName('tick');
      let ticks = 0;
      const scheduled = schedule(slug, () => {
        ticks++;
        if (ticks === 2) throw new Error('second tick fails');
      });
      expect(() => schedule(slug, () => undefined)).toThrow(/already scheduled/);
      try {
        await waitUntil(() => ticks >= 3 || undefined, { what: '3 ticks', timeoutMs: 6000 });
      } finally {
        scheduled.stop();
      }
      await Sentry.flush(2000);
      const statuses = checkIns(slug).map((c) => c.status);
      expect(statuses.filter((s) => s === 'in_progress').length).toBeGreaterThanOrEqual(3);
      expect(statuses).toContain('error');
      expect(statuses.filter((s) => s === 'ok').length).toBeGreaterThanOrEqual(2);
      expect(errorsOf(slug)[0]?.exception?.values?.[0]?.value).toBe('second tick fails');
      expect(checkIns(slug)[0]?.monitor_config).toMatchObject({ schedule: everyMinute });
    },
  );

  it('refuses a seconds-level schedule without an explicit monitor schedule', () => {
    expect(() => scheduleWithCroner(Cron, uniqueName('x'), '*/2 * * * * *', () => undefined)).toThrow(
      ScheduleError,
    );
  });
});
