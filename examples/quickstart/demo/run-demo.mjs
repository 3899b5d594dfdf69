// `npm run demo`: the quickstart service behind the whole pipeline, and what happens to its
// errors in a storm, an outage and the recovery. The service (../app.mjs, ../instrument.mjs) is
// what a user writes; this file and its neighbours are the stage around it.
//
//   service --Kafka transport--> Kafka --forwarder--> local sink (or SENTRY_DSN's project)
//
// Without Java the broker cannot run: the demo says so and shows the HTTP-only part.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printClosingTable, printIssues, sinkFigures } from './closing-table.mjs';
import { brokerUnavailable, seconds, startBroker, startForwarder, startSink } from './local-pipeline.mjs';
import { startService } from './service-process.mjs';
import { sendRequests, stormRequests } from './traffic.mjs';

const STORM_REQUESTS = 600;
const OUTAGE_ROUNDS = 6;
// One request in ten traced, as a production service might: spans travel the same pipe.
const TRACES_SAMPLE_RATE = '0.1';
const say = (line) => console.log(`demo: ${line}`);
const userDsn = process.env.SENTRY_DSN || undefined;
const cleanups = [];

try {
  const why = brokerUnavailable();
  const problems = why ? await httpOnly(why) : await pipeline();
  for (const problem of problems) say(`FAILED: ${problem}`);
  process.exitCode = problems.length > 0 ? 1 : 0;
} catch (error) {
  say(`FAILED: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
}

async function pipeline() {
  say('starting the pipeline: Kafka, a Sentry-protocol sink, the forwarder, then the service');
  const broker = await startBroker(say);
  cleanups.push(() => broker.destroy());
  const sink = userDsn ? undefined : await startSink(say);
  if (sink) cleanups.push(() => sink.close());
  const dsn = userDsn ?? sink.dsn(1, 'quickstart');
  if (userDsn) say(`SENTRY_DSN is set: the forwarder delivers to ${new URL(dsn).host}`);
  const forwarder = await startForwarder(broker.brokers, dsn, say);
  cleanups.push(() => forwarder.stop());
  const spoolDir = mkdtempSync(join(tmpdir(), 'faultline-demo-spool-'));
  // Cleanups run last first: the directory goes after the service has stopped.
  cleanups.push(async () => rmSync(spoolDir, { recursive: true, force: true }));
  const service = await startService({
    SENTRY_DSN: dsn,
    FAULTLINE_KAFKA_BROKERS: broker.brokers.join(','),
    FAULTLINE_SPOOL_DIR: spoolDir,
    SENTRY_TRACES_SAMPLE_RATE: TRACES_SAMPLE_RATE,
  });
  cleanups.push(() => service.stop());

  // 1. The storm.
  say(`storm: ${STORM_REQUESTS} requests hit one bug in POST /checkout; a few rare errors among them`);
  const failedByRoute = new Map();
  let captured = await sendRequests(service.url, stormRequests(STORM_REQUESTS), failedByRoute);
  let metrics = await service.metrics();
  const kept = metrics.errors?.kept ?? 0;
  if (sink) {
    // Until the forwarder has delivered all the service has sent to Kafka so far.
    await until(async () => {
      const now = await service.metrics();
      return now.kafka.queued === 0 && forwarded(forwarder, now).lost === 0;
    }, 20_000);
    say(
      `the error policy kept ${kept} of ${captured}: the first 10 of each issue, then 1 in 10; in the sink:`,
    );
    printIssues(failedByRoute, sink);
  } else {
    say(`the error policy kept ${kept} of ${captured} errors`);
  }
  const dropped = metrics.errors?.dropped ?? {};
  say(
    `dropped at capture, never processed: ${Object.entries(dropped)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `${n} ${reason}`)
      .join(', ')}; the client report the SDK sends at its next flush counts them as before_send`,
  );

  // 2. The outage.
  say('outage: the broker is killed (SIGKILL); the service keeps taking requests');
  await broker.kill();
  const outageStart = Date.now();
  const rssBefore = metrics.rssBytes;
  for (let round = 1; round <= OUTAGE_ROUNDS; round++) {
    captured += await sendRequests(service.url, stormRequests(50));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    metrics = await service.metrics();
    const { inSpool, spoolBytes, queued } = metrics.kafka;
    console.log(
      `    t+${seconds(outageStart).padStart(6)}  spool ${String(inSpool).padStart(4)} envelopes, ` +
        `${(spoolBytes / 1024).toFixed(0).padStart(5)} KiB on disk; in memory ${queued}; ` +
        `service RSS ${mb(metrics.rssBytes)} (${mb(rssBefore)} before)`,
    );
  }

  // 3. The recovery.
  say('recovery: the broker starts again on the same data');
  await broker.start();
  const back = Date.now();
  await until(async () => {
    metrics = await service.metrics();
    return metrics.kafka.connected && metrics.kafka.inSpool === 0 && metrics.kafka.queued === 0;
  }, 60_000);
  say(
    `the spool drained ${metrics.kafka.drained} envelopes to Kafka ${seconds(back)} after the broker came back`,
  );

  // 4. The service stops as a container does; then the forwarder finishes.
  metrics = await service.metrics();
  say('the service is stopped (SIGTERM): it flushes, and the SDK sends its client report');
  await service.stop();
  let received;
  if (sink) {
    await until(() => {
      const figures = sinkFigures(sink);
      return figures.events + figures.dropped >= captured;
    }, 30_000).catch(() => undefined);
    received = sinkFigures(sink);
  } else {
    // Everything the service sent to Kafka, delivered (or dropped and counted) by the forwarder.
    await until(() => forwarded(forwarder, metrics).lost === 0, 60_000).catch(() => undefined);
  }
  const figures = forwarder.metrics;
  say(
    `forwarder: ${figures.delivered} delivered, ${figures.retried} retried, ` +
      `${figures.rateLimited} rate-limited (429), dropped ${JSON.stringify(figures.dropped)}, ` +
      `dead-lettered ${JSON.stringify(figures.deadLettered)}, ${figures.inFlight} in flight`,
  );
  return printClosingTable({ captured, metrics, received, forwarded: forwarded(forwarder, metrics) });
}

async function httpOnly(why) {
  say(`the pipeline needs a local Kafka broker, and ${why}: showing the HTTP-only part`);
  say('(install Java 17 to see the Kafka transport, the spool, an outage and the forwarder)');
  const sink = userDsn ? undefined : await startSink(say);
  if (sink) cleanups.push(() => sink.close());
  const service = await startService({
    SENTRY_DSN: userDsn ?? sink.dsn(1, 'quickstart'),
    SENTRY_TRACES_SAMPLE_RATE: TRACES_SAMPLE_RATE,
  });
  cleanups.push(() => service.stop());
  say(`storm: ${STORM_REQUESTS} requests hit one bug in POST /checkout; a few rare errors among them`);
  const failedByRoute = new Map();
  const captured = await sendRequests(service.url, stormRequests(STORM_REQUESTS), failedByRoute);
  const metrics = await service.metrics();
  await service.stop();
  let received;
  if (sink) {
    await until(() => {
      const figures = sinkFigures(sink);
      return figures.events + figures.dropped >= captured;
    }, 20_000).catch(() => undefined);
    received = sinkFigures(sink);
    printIssues(failedByRoute, sink);
  }
  return printClosingTable({ captured, metrics, received });
}

/** What the forwarder delivered, and how many envelopes the service sent to Kafka it has not finished. */
function forwarded(forwarder, metrics) {
  const figures = forwarder.metrics;
  const sum = (record) => Object.values(record).reduce((a, b) => a + b, 0);
  const finished = figures.delivered + sum(figures.dropped) + sum(figures.deadLettered) + figures.duplicates;
  // `delivered` counts every envelope Kafka acknowledged, drained ones included.
  const produced = metrics.kafka?.delivered ?? 0;
  return { delivered: figures.delivered, lost: Math.max(0, produced - finished) };
}

function mb(bytes) {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}

async function until(condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
