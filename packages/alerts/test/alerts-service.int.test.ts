import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fingerprintHash, silentLogger } from '@faultline/contract';
import { createTopic, freePort, httpStatus, runNodeScript, uniqueName, waitUntil } from '@faultline/testkit';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type AlertsOptions, type AlertsService, createAlertsService } from '../src/index.js';
import { type Receiver, startReceiver } from './receiver.js';

// Real broker; envelopes produced by the real SDK through Faultline's Kafka transport (the
// fixture), at event times chosen by the test; the alerts service runs on a fake clock that the
// test moves past the minutes it wants evaluated. A local receiver stands in for the webhook.
// The issue key: the error policy's fingerprint hash of the storm's error, as the rule keys it.
const STORM = `spike:issue:42:${fingerprintHash({ exception: { values: [{ type: 'TypeError', value: 'storm' }] } }).toString(16)}`;
const FIXTURE = fileURLToPath(new URL('./fixtures/plan-service.mjs', import.meta.url));
const MIN = 60_000;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Step {
  errors?: string;
  spans?: string;
  minute: number;
  count: number;
  release?: string;
  level?: string;
  durationMs?: number;
}

async function capture(topic: string, project: number, base: number, plan: Step[]): Promise<void> {
  const result = await runNodeScript(FIXTURE, {
    env: {
      PATH: process.env.PATH,
      SENTRY_DSN: `http://publickey@127.0.0.1:9/${project}`,
      FAULTLINE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      FAULTLINE_KAFKA_TOPIC: topic,
      FAULTLINE_SPOOL_DIR: join(tmpdir(), uniqueName('alerts-spool')),
      FIXTURE_BASE: String(base),
      FIXTURE_PLAN: JSON.stringify(plan),
    },
    timeoutMs: 60_000,
  });
  expect(result.stdout, result.stderr).toContain('closed true');
}

/** A service reading `topic` on a fake clock, sending to `hook` through the webhook channel. */
async function alerts(
  topic: string,
  stateTopic: string,
  hook: Receiver,
  clock: () => number,
  groupId = uniqueName('alerts'),
): Promise<AlertsService> {
  const service = createAlertsService(
    {
      brokers: inject('kafkaBrokers'),
      topic,
      groupId,
      stateTopic,
      channels: { webhook: { url: `${hook.url}/alerts` } },
      tickMs: 100,
      clock,
      logger: silentLogger,
    },
    {},
  );
  cleanups.push(() => service.stop());
  await service.start();
  return service;
}

/** Waits until exactly one of these is active and has rebuilt its rules; returns it. */
async function activeAndRebuilt(...services: AlertsService[]): Promise<AlertsService> {
  let active: AlertsService | undefined;
  await waitUntil(
    () => {
      const running = services.filter((s) => s.stats.active);
      active = running.length === 1 && running[0]?.stats.caughtUp ? running[0] : undefined;
      return active;
    },
    { what: 'one active instance, rebuilt', timeoutMs: 40_000 },
  );
  return active as AlertsService;
}

/** Two quiet minutes after the storm (8 and 9); moves the clock past them; waits for 4 sent. */
async function quietMinutes(topic: string, base: number, hook: Receiver, setClock: (now: number) => void) {
  await capture(
    topic,
    42,
    base,
    [8, 9].map((minute) => ({ errors: 'steady', minute, count: 20 })),
  );
  setClock(base + 10 * MIN + 20_000);
  await waitUntil(() => (hook.received.length >= 4 ? true : undefined), {
    what: 'the resolve',
    timeoutMs: 20_000,
  });
  await settle();
}

/**
 * A topic where `GET /checkout` took 100 ms for six minutes, then 300 ms for three, then 100 ms
 * again, and a service started on it with its clock at minute 10 and 20 s, sending to `hook`:
 * it fires a degradation and resolves it.
 */
async function slowCheckout(
  name: string,
  hook: Receiver,
  options: Partial<AlertsOptions>,
): Promise<AlertsService> {
  const topic = uniqueName(name);
  await createTopic(inject('kafkaBrokers'), topic, 1);
  const base = Math.floor(Date.now() / MIN) * MIN - 12 * MIN;
  const durations = [100, 100, 100, 100, 100, 100, 300, 300, 300, 100];
  await capture(
    topic,
    42,
    base,
    durations.map((durationMs, minute) => ({ spans: 'GET /checkout', minute, count: 10, durationMs })),
  );
  const service = createAlertsService(
    {
      brokers: inject('kafkaBrokers'),
      topic,
      groupId: uniqueName('alerts'),
      stateTopic: uniqueName('alerts-state'),
      channels: { webhook: { url: `${hook.url}/alerts` } },
      tickMs: 100,
      clock: () => base + 10 * MIN + 20_000,
      logger: silentLogger,
      ...options,
    },
    {},
  );
  cleanups.push(() => service.stop());
  await service.start();
  return service;
}

const sent = (hook: Receiver) => hook.received.map((r) => `${r.body.status} ${r.body.key}`);
const settle = () => new Promise((resolve) => setTimeout(resolve, 1500));

describe('alerts on the envelope topic, on true volume', () => {
  it('fires a spike once on a storm the error policy thinned, survives a restart, and resolves once', async () => {
    const topic = uniqueName('alerts-spike');
    await createTopic(inject('kafkaBrokers'), topic, 3);
    const hook = await startReceiver();
    cleanups.push(() => hook.close());
    const base = Math.floor(Date.now() / MIN) * MIN - 12 * MIN;
    // Project 42: 20/min for 7 minutes, then 900 of one error in minute 7. Project 43: steady only.
    await capture(topic, 42, base, [
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((minute) => ({ errors: 'steady', minute, count: 20 })),
      { errors: 'storm', minute: 7, count: 900 },
    ]);
    await capture(
      topic,
      43,
      base,
      [0, 1, 2, 3, 4, 5, 6, 7].map((minute) => ({ errors: 'steady', minute, count: 20 })),
    );
    let now = base + 8 * MIN + 20_000;
    const stateTopic = uniqueName('alerts-state');
    const first = await activeAndRebuilt(await alerts(topic, stateTopic, hook, () => now));
    await waitUntil(() => (hook.received.length >= 2 ? true : undefined), {
      what: 'the spike',
      timeoutMs: 20_000,
    });
    await settle();
    expect(sent(hook).sort()).toEqual([`firing ${STORM}`, 'firing spike:project:42']);
    const storm = hook.received.find((r) => String(r.body.key).startsWith('spike:issue'));
    // The kept events were a few dozen; the rule counted what they stood for.
    expect(storm?.body.details).toMatchObject({ perMinute: expect.any(Number) });
    expect((storm?.body.details as { perMinute: number } | undefined)?.perMinute).toBeGreaterThan(500);
    // Every envelope came from Faultline's transport: read from its observations header, none parsed.
    expect(first.stats.envelopes).toBeGreaterThan(0);
    expect(first.stats).toMatchObject({
      fromHeader: first.stats.envelopes,
      badObservationHeaders: 0,
      unreadable: 0,
    });

    // A restart in the middle of the episode: the new instance rebuilds, and sends nothing again.
    await first.stop();
    const second = await activeAndRebuilt(await alerts(topic, stateTopic, hook, () => now));
    await settle();
    expect(second.stats.suppressed).toBe(2);
    expect(hook.received).toHaveLength(2);

    // Two quiet minutes: it resolves, once per episode.
    await quietMinutes(topic, base, hook, (t) => {
      now = t;
    });
    expect(sent(hook).slice(2).sort()).toEqual([`resolved ${STORM}`, 'resolved spike:project:42']);
  });

  it('runs one active instance per group; when it stops, a standby takes over without sending again', async () => {
    const topic = uniqueName('alerts-takeover');
    await createTopic(inject('kafkaBrokers'), topic, 3);
    const hook = await startReceiver();
    cleanups.push(() => hook.close());
    const base = Math.floor(Date.now() / MIN) * MIN - 12 * MIN;
    await capture(topic, 42, base, [
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((minute) => ({ errors: 'steady', minute, count: 20 })),
      { errors: 'storm', minute: 7, count: 900 },
    ]);
    let now = base + 8 * MIN + 20_000;
    const groupId = uniqueName('alerts-group');
    const stateTopic = uniqueName('alerts-state');
    const a = await alerts(topic, stateTopic, hook, () => now, groupId);
    await waitUntil(() => (hook.received.length >= 2 ? true : undefined), {
      what: 'the spike',
      timeoutMs: 40_000,
    });
    // A second member joins: the group may hand it the lead (a rebuild), never a second alert.
    const b = await alerts(topic, stateTopic, hook, () => now, groupId);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const active = await activeAndRebuilt(a, b);
    const standby = active === a ? b : a;
    expect(standby.stats.active).toBe(false);
    expect(hook.received).toHaveLength(2);

    await active.stop();
    await activeAndRebuilt(standby);
    await settle();
    expect(hook.received).toHaveLength(2);
    await quietMinutes(topic, base, hook, (t) => {
      now = t;
    });
    expect(sent(hook).sort()).toEqual([
      `firing ${STORM}`,
      'firing spike:project:42',
      `resolved ${STORM}`,
      'resolved spike:project:42',
    ]);
    expect(standby.stats.active).toBe(true);
  });

  it('fires a regression for a release with more than 5 new errors, not for one with 5', async () => {
    const topic = uniqueName('alerts-regression');
    await createTopic(inject('kafkaBrokers'), topic, 3);
    const hook = await startReceiver();
    cleanups.push(() => hook.close());
    const base = Math.floor(Date.now() / MIN) * MIN - 5 * MIN;
    const release = (name: string, values: string[], minute: number) =>
      values.map((errors) => ({ errors, minute, count: 1, release: name }));
    await capture(topic, 42, base, [
      ...release('shop@1.0.0', ['alpha', 'beta'], 0),
      ...release('shop@1.1.0', ['alpha', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'], 1),
    ]);
    await capture(topic, 43, base, [
      ...release('shop@1.0.0', ['alpha', 'beta'], 0),
      ...release('shop@1.1.0', ['gamma', 'delta', 'epsilon', 'zeta', 'eta'], 1),
      { errors: 'iota', minute: 1, count: 1, release: 'shop@1.1.0', level: 'warning' },
    ]);
    await activeAndRebuilt(await alerts(topic, uniqueName('alerts-state'), hook, () => base + 3 * MIN));
    await waitUntil(() => (hook.received.length >= 1 ? true : undefined), {
      what: 'the regression',
      timeoutMs: 20_000,
    });
    await settle();
    expect(sent(hook)).toEqual(['firing regression:42:shop@1.1.0']);
    expect((hook.received[0]?.body.details as { newIssues: string[] } | undefined)?.newIssues).toHaveLength(
      6,
    );
  });

  it('tries a transition again when every channel refused it, and keeps the resolve behind it', async () => {
    // The first send fails all 3 attempts; the next try succeeds.
    const hook = await startReceiver([503, 503, 503]);
    cleanups.push(() => hook.close());
    const service = await slowCheckout('alerts-retry', hook, {
      retryFailedMs: 500,
      http: { attempts: 3, backoff: { initialMs: 10, maxMs: 20 } },
    });
    await activeAndRebuilt(service);
    await waitUntil(() => (hook.received.length >= 5 ? true : undefined), {
      what: 'the retry',
      timeoutMs: 20_000,
    });
    await settle();
    // 3 refused attempts, then the fire, then its resolve (which waited behind it), once each.
    expect(sent(hook)).toEqual([
      ...Array(4).fill('firing degradation:42:GET /checkout'),
      'resolved degradation:42:GET /checkout',
    ]);
    expect(service.stats).toMatchObject({ failed: 1, sent: 2 });
  });

  it('a stop while a channel answers nothing: the notification is cut after 5 s, not waited out for its attempts', async () => {
    // Every attempt held open: with the default 5 attempts of 10 s and their backoffs, about a minute.
    const hook = await startReceiver([0, 0, 0, 0, 0]);
    cleanups.push(() => hook.close());
    const errors: string[] = [];
    const service = await slowCheckout('alerts-hang', hook, {
      logger: { ...silentLogger, error: (msg: string) => errors.push(msg) },
    });
    await waitUntil(() => (hook.received.length >= 1 ? true : undefined), {
      what: 'the fire on its way',
      timeoutMs: 30_000,
    });
    const since = Date.now();
    await service.stop();
    const stoppedIn = Date.now() - since;
    console.log(`stopped in ${stoppedIn} ms with a notification on the wire that is never answered`);
    expect(stoppedIn).toBeLessThan(15_000);
    expect(hook.received).toHaveLength(1);
    // Said, and not recorded as sent: the next active instance sends it.
    expect(errors).toEqual(['could not send firing to webhook: cut short: the service is stopping']);
    expect(service.stats).toMatchObject({ sent: 0, failed: 1 });
  }, 120_000);

  it('fires a degradation after three slow minutes over the baseline, not for 1.5x, and resolves', async () => {
    const topic = uniqueName('alerts-degradation');
    await createTopic(inject('kafkaBrokers'), topic, 3);
    const hook = await startReceiver();
    cleanups.push(() => hook.close());
    const base = Math.floor(Date.now() / MIN) * MIN - 12 * MIN;
    const minutes = (name: string, durations: number[]) =>
      durations.map((durationMs, minute) => ({ spans: name, minute, count: 10, durationMs }));
    await capture(topic, 42, base, [
      ...minutes('GET /checkout', [100, 110, 95, 105, 100, 100, 300, 320, 310]),
      ...minutes('GET /cart', [100, 100, 100, 100, 100, 100, 150, 150, 150]),
    ]);
    let now = base + 9 * MIN + 20_000;
    await activeAndRebuilt(await alerts(topic, uniqueName('alerts-state'), hook, () => now));
    await waitUntil(() => (hook.received.length >= 1 ? true : undefined), {
      what: 'the degradation',
      timeoutMs: 20_000,
    });
    await settle();
    expect(sent(hook)).toEqual(['firing degradation:42:GET /checkout']);
    await capture(topic, 42, base, minutes('GET /checkout', [0, 0, 0, 0, 0, 0, 0, 0, 0, 100]).slice(9));
    now = base + 10 * MIN + 20_000;
    await waitUntil(() => (hook.received.length >= 2 ? true : undefined), {
      what: 'the resolve',
      timeoutMs: 20_000,
    });
    expect(sent(hook)).toEqual([
      'firing degradation:42:GET /checkout',
      'resolved degradation:42:GET /checkout',
    ]);
  });

  it('answers container probes from the bin: /healthz at once, /readyz once joined and rebuilt, exit 0 on SIGTERM', async () => {
    const topic = uniqueName('alerts-probes');
    await createTopic(inject('kafkaBrokers'), topic, 1);
    const port = await freePort();
    const bin = fileURLToPath(new URL('../bin/faultline-alerts.mjs', import.meta.url));
    const probe = (path: string) => httpStatus(port, path);
    const statuses: number[] = [];
    let child: import('node:child_process').ChildProcess | undefined;
    const run = runNodeScript(bin, {
      onSpawn: (spawned) => {
        child = spawned;
      },
      args: ['--topic', topic, '--dry-run', '--health-port', String(port), '--projects', '42'],
      env: {
        PATH: process.env.PATH,
        FAULTLINE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
        FAULTLINE_ALERTS_GROUP: uniqueName('alerts-probes'),
        FAULTLINE_ALERTS_LOG_LEVEL: 'warn',
      },
      timeoutMs: 60_000,
    });
    await waitUntil(async () => ((await probe('/healthz')) === 200 ? true : undefined), {
      what: '/healthz',
      timeoutMs: 30_000,
    });
    statuses.push(await probe('/nothing'));
    await waitUntil(async () => ((await probe('/readyz')) === 200 ? true : undefined), {
      what: '/readyz',
      timeoutMs: 40_000,
    });
    child?.kill('SIGTERM');
    const result = await run;
    expect(statuses).toEqual([404]);
    expect(result.code, result.stderr).toBe(0);
    expect(await probe('/healthz')).toBe(0); // closed with the process
  });
});
