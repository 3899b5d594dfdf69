import { silentLogger } from '@faultline/contract';
import {
  createTopic,
  freePort,
  httpStatus,
  type KafkaBroker,
  runNodeScript,
  startKafka,
  uniqueName,
  waitUntil,
} from '@faultline/testkit';
import { describe, expect, inject, it } from 'vitest';
import { createForwarder, type Forwarder, type LogEntry, type Logger } from '../src/index.js';

const collect = (logs: LogEntry[]): Logger => {
  const at = (level: LogEntry['level']) => (msg: string, fields?: Record<string, unknown>) =>
    logs.push({ level, msg, ...fields });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
};

import { deliveredIds, envelopeBytes, forwarderCli, produce, useCleanups } from './helpers.js';

// Real brokers throughout: the shared one, and for outages a broker of the test's own that it
// stops, kills and starts again. The ingest double stands in for Sentry (faults are not the
// point here; what Kafka does to the forwarder is).
const cli = forwarderCli;
const { defer, double } = useCleanups();
const readyz = (port: number) => httpStatus(port, '/readyz');

describe('forwarder on a cluster as it is', () => {
  it('started before its topic exists: waits with one log line, not ready, then delivers', async () => {
    const ingest = await double();
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('late-topic');
    const logs: LogEntry[] = [];
    const forwarder: Forwarder = createForwarder({
      brokers,
      topic,
      groupId: uniqueName('late'),
      allowedDsns: ['publickey'],
      allowedHosts: ['127.0.0.1'],
      metricsPort: 0,
      logger: collect(logs),
    });
    defer(() => forwarder.stop());
    const starting = forwarder.start();
    await waitUntil(() => forwarder.metricsPort, { what: 'the metrics server' });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await readyz(forwarder.metricsPort as number)).toBe(503);
    await produce(
      brokers,
      topic,
      Array.from({ length: 10 }, (_, i) => envelopeBytes(ingest.dsn(3), i)),
    );
    await starting;
    await waitUntil(() => deliveredIds(ingest).size === 10 || undefined, { what: '10 deliveries' });
    expect(await readyz(forwarder.metricsPort as number)).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${forwarder.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^faultline_forwarder_delivered_total 10$/m);
    expect(metrics).toMatch(/^faultline_forwarder_in_flight 0$/m);
    expect(metrics).toMatch(
      /^faultline_forwarder_upstream_concurrency\{upstream="http:\/\/127\.0\.0\.1:\d+"\} \d+$/m,
    );
    expect(metrics).toMatch(/^faultline_forwarder_delivery_seconds_count 10$/m);
    // prom-client's default process metrics: event-loop lag, heap, GC.
    expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(metrics).toMatch(/^nodejs_heap_size_used_bytes /m);
    expect(metrics).toContain('nodejs_gc_duration_seconds');
    const waiting = logs.filter((l) => l.msg.includes(`topic ${topic}`) && l.level === 'warn');
    expect(waiting).toHaveLength(1); // one line for the condition, not one per attempt
    expect(waiting[0]?.reason).toBe(`topic ${topic} does not exist yet`);
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
    expect(logs.some((l) => /partitioner/i.test(l.msg))).toBe(false);
  });

  it('survives a broker down at start and SIGKILLed mid-run: every envelope delivered, never exits', async () => {
    const broker: KafkaBroker = await startKafka({
      ports: { broker: await freePort(), controller: await freePort() },
    });
    defer(() => broker.destroy());
    const ingest = await double();
    const topic = uniqueName('outage');
    await createTopic(broker.brokers, topic, 2);
    await broker.stop(); // down before the forwarder starts
    const metricsPort = await freePort();
    let child: import('node:child_process').ChildProcess | undefined;
    const run = runNodeScript(cli, {
      env: {
        PATH: process.env.PATH,
        FAULTLINE_KAFKA_BROKERS: broker.brokers.join(','),
        FAULTLINE_FORWARDER_TOPIC: topic,
        FAULTLINE_FORWARDER_GROUP: uniqueName('outage'),
        FAULTLINE_FORWARDER_ALLOWED_DSNS: 'publickey',
        FAULTLINE_FORWARDER_ALLOWED_HOSTS: '127.0.0.1',
        FAULTLINE_FORWARDER_METRICS_PORT: String(metricsPort),
        FAULTLINE_FORWARDER_SESSION_TIMEOUT_MS: '10000',
      },
      timeoutMs: 170_000,
      onStdout: (_, c) => {
        child = c;
      },
    });
    defer(async () => child?.kill('SIGKILL'));
    await waitUntil(async () => ((await readyz(metricsPort)) === 503 ? true : undefined), {
      what: 'readyz 503 while Kafka is down',
      timeoutMs: 20_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await readyz(metricsPort)).toBe(503);

    await broker.start();
    await produce(
      broker.brokers,
      topic,
      Array.from({ length: 50 }, (_, i) => envelopeBytes(ingest.dsn(3), i)),
      2,
    );
    await waitUntil(() => deliveredIds(ingest).size === 50 || undefined, {
      what: '50 deliveries after the broker came up',
      timeoutMs: 60_000,
    });
    expect(await readyz(metricsPort)).toBe(200);

    await broker.kill(); // mid-run, as in an outage
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(child?.exitCode).toBeNull(); // still running
    await broker.start();
    await produce(
      broker.brokers,
      topic,
      Array.from({ length: 50 }, (_, i) => envelopeBytes(ingest.dsn(3), 100 + i)),
      2,
    );
    await waitUntil(() => deliveredIds(ingest).size === 100 || undefined, {
      what: '100 deliveries after the broker was killed and restarted',
      timeoutMs: 90_000,
    });
    await waitUntil(async () => ((await readyz(metricsPort)) === 200 ? true : undefined), {
      what: 'ready again',
      timeoutMs: 60_000,
    });
    child?.kill('SIGTERM');
    const result = await run;
    // Its own log, shown if it did not end by itself.
    expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(result.stderr).not.toContain('still open'); // ended by itself (see exitAfterStop)
    const lines = result.stdout.split('\n').filter(Boolean);
    // Folded: a handful of lines per condition, not one per KafkaJS retry.
    expect(lines.length).toBeLessThan(60);
  }, 180_000);

  it('gives up, not ready, once a broker that stops answering leaves it fetching nothing for stallAfterMs', async () => {
    // Frozen (SIGSTOP): its connections stay open and nothing answers, so KafkaJS's fetch waits
    // and neither fails nor crashes. Without the watch, the forwarder would wait as long, ready.
    const broker = await startKafka();
    defer(async () => {
      broker.thaw();
      await broker.destroy();
    });
    const ingest = await double();
    const topic = uniqueName('frozen');
    await createTopic(broker.brokers, topic, 2);
    const logs: LogEntry[] = [];
    const failures: Error[] = [];
    const forwarder = createForwarder({
      brokers: broker.brokers,
      topic,
      groupId: uniqueName('frozen'),
      allowedDsns: ['publickey'],
      allowedHosts: ['127.0.0.1'],
      stallAfterMs: 3000,
      metricsPort: 0,
      logger: collect(logs),
      onFatal: (error) => failures.push(error),
    });
    defer(() => forwarder.stop());
    await forwarder.start();
    await produce(
      broker.brokers,
      topic,
      Array.from({ length: 20 }, (_, i) => envelopeBytes(ingest.dsn(3), i)),
      2,
    );
    await waitUntil(() => deliveredIds(ingest).size === 20 || undefined, { what: '20 deliveries' });
    // Idle but healthy for longer than stallAfterMs: it fetches every second, so it goes on.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(failures).toEqual([]);
    expect(forwarder.ready).toBe(true);

    broker.freeze();
    await waitUntil(() => failures[0], { what: 'onFatal', timeoutMs: 20_000 });
    expect(failures).toHaveLength(1);
    expect(failures[0]?.message).toMatch(/^the consumer stalled: no fetch for \d+ s$/);
    expect(forwarder.ready).toBe(false);
    expect(await readyz(forwarder.metricsPort as number)).toBe(503);
    expect(logs.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      'consumer stalled and cannot go on',
    ]);
    broker.thaw();
  });

  it('ends with status 1 and one line when KafkaJS gives up for good, not ready meanwhile', async () => {
    const topic = uniqueName('fatal');
    const brokers = inject('kafkaBrokers');
    await createTopic(brokers, topic, 1);
    // The broker refuses a session timeout below group.min.session.timeout.ms (6 s):
    // INVALID_SESSION_TIMEOUT is not retriable, so KafkaJS crashes the consumer for good.
    const failures: Error[] = [];
    const forwarder = createForwarder({
      brokers,
      topic,
      groupId: uniqueName('fatal'),
      allowedDsns: ['publickey'],
      allowedHosts: ['127.0.0.1'],
      sessionTimeoutMs: 1000,
      metricsPort: 0,
      logger: silentLogger,
      onFatal: (error) => failures.push(error),
    });
    defer(() => forwarder.stop());
    await forwarder.start();
    await waitUntil(() => failures[0], { what: 'onFatal' });
    expect(forwarder.ready).toBe(false);
    expect(await readyz(forwarder.metricsPort as number)).toBe(503);

    const result = await runNodeScript(cli, {
      env: {
        PATH: process.env.PATH,
        FAULTLINE_KAFKA_BROKERS: brokers.join(','),
        FAULTLINE_FORWARDER_TOPIC: topic,
        FAULTLINE_FORWARDER_GROUP: uniqueName('fatal-cli'),
        FAULTLINE_FORWARDER_ALLOWED_DSNS: 'publickey',
        FAULTLINE_FORWARDER_ALLOWED_HOSTS: '127.0.0.1',
        FAULTLINE_FORWARDER_SESSION_TIMEOUT_MS: '1000',
      },
      timeoutMs: 60_000,
    });
    expect(result.code).toBe(1);
    const stderr = result.stderr.trim().split('\n');
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(/^faultline-forwarder: cannot go on: .*session timeout/i);
  });

  it('refuses to start with a bare key and no upstream or allowed hosts, saying why', async () => {
    const result = await runNodeScript(cli, {
      env: {
        PATH: process.env.PATH,
        FAULTLINE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
        FAULTLINE_FORWARDER_ALLOWED_DSNS: 'publickey',
      },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/bare public key: without an upstream every entry must bind a host/);
    expect(result.stderr).not.toContain('publickey');
  });
});
