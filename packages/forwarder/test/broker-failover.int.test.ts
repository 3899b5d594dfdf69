import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AlertsService, createAlertsService } from '@faultline/alerts';
import { silentLogger } from '@faultline/contract';
import {
  createIngestDouble,
  createTopic,
  type IngestDouble,
  type KafkaCluster,
  runNodeScript,
  startKafkaCluster,
  uniqueName,
  waitUntil,
} from '@faultline/testkit';
import type { Event } from '@sentry/core';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createForwarder } from '../src/index.js';

// Kafka as users run it: three KRaft nodes, the envelope topic replicated to all three with
// min.insync.replicas 2. A service streams errors at 250/s through the Kafka transport while the
// leader of the topic's partitions is SIGKILLed and later restarted; the forwarder delivers to an
// ingest double (it answers at once: the fault under test is the broker's) and the alerts service
// reads the same topic. Nothing may be lost anywhere; duplicates are counted, not hidden.
const APP = fileURLToPath(new URL('../../core/test/fixtures/kafka-app.mjs', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: KafkaCluster;
let ingest: IngestDouble;
beforeAll(async () => {
  cluster = await startKafkaCluster({ nodes: 3 });
  ingest = await createIngestDouble();
}, 180_000);
afterAll(async () => {
  await ingest?.close();
  await cluster?.destroy();
});

/** The `seq` tag of every event the ingest accepted, with how many times each came. */
function arrivals(): Map<number, number> {
  const counts = new Map<number, number>();
  for (const request of ingest.requests) {
    if (request.status !== 200) continue;
    for (const [header, payload] of request.envelope?.[1] ?? []) {
      if (header.type !== 'event') continue;
      const seq = Number((payload as Event).tags?.seq);
      counts.set(seq, (counts.get(seq) ?? 0) + 1);
    }
  }
  return counts;
}

describe('a three-broker cluster losing the leader of the envelope topic mid-stream', () => {
  it('loses nothing in the transport, the forwarder or the alerts, and resumes within the election', async () => {
    const topic = uniqueName('failover');
    await createTopic(cluster.brokers, topic, 2, { 'min.insync.replicas': '2' });
    const dsn = ingest.dsn(9);
    const forwarder = createForwarder({
      brokers: cluster.brokers,
      topic,
      groupId: uniqueName('failover-forwarder'),
      allowedDsns: [dsn],
      retryBackoff: { initialMs: 200, maxMs: 1000 },
      logger: silentLogger,
    });
    await forwarder.start();
    // An alerts service through the outage; a second one starts once the new leader serves.
    const alertsLog = collectingLogger();
    const alerts = failoverAlerts(topic, 'failover-alerts', alertsLog);
    await alerts.start();

    let service: ChildProcess | undefined;
    let streaming: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      streaming = resolve;
    });
    const run = runNodeScript(APP, {
      env: {
        PATH: process.env.PATH,
        SENTRY_DSN: dsn,
        FAULTLINE_SERVICE: 'failover',
        FAULTLINE_KAFKA_BROKERS: cluster.brokers.join(','),
        FAULTLINE_KAFKA_TOPIC: topic,
        FAULTLINE_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'faultline-failover-spool-')),
        FIXTURE_SCENARIO: 'stream',
        FIXTURE_CLOSE_TIMEOUT_MS: '20000',
      },
      timeoutMs: 150_000,
      onStdout: (text, child) => {
        service = child;
        if (text.includes('streaming')) streaming();
      },
    });
    await started;
    await sleep(3000);

    const leader = await cluster.leaderOf(topic, 0);
    const node = cluster.nodes.find((n) => n.id === leader);
    if (!node) throw new Error(`no node ${leader}`);
    const admin = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const onTopicNow = async () =>
      (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    await node.kill();
    const killedAt = Date.now();
    const before = arrivals().size;
    const writtenBefore = await onTopicNow().catch(() => 0);
    // Writes resume (the transport), then delivery (the forwarder): a hundred new events each,
    // 0.4 s of the stream, through the new leaders.
    let writesResumedInMs = 0;
    // The election: until the controller fences the dead broker (KRaft's broker session timeout,
    // 9 s by default, after a SIGKILL) and partition 0 has another leader.
    let electedInMs = 0;
    await waitUntil(
      async () => {
        if (!electedInMs && (await cluster.leaderOf(topic, 0).catch(() => leader)) !== leader) {
          electedInMs = Date.now() - killedAt;
        }
        if (!writesResumedInMs && (await onTopicNow().catch(() => 0)) >= writtenBefore + 100) {
          writesResumedInMs = Date.now() - killedAt;
        }
        return arrivals().size >= before + 100 || undefined;
      },
      { what: 'delivery after the leader was killed', timeoutMs: 60_000, intervalMs: 100 },
    );
    const resumedInMs = Date.now() - killedAt;
    const newLeader = await cluster.leaderOf(topic, 0);
    // Its run is activated while the cluster settles and the stream runs, as the first one's was
    // in a slow CI run: that run read nothing more of partition 0 until the end offsets showed it.
    const lateLog = collectingLogger();
    const late = failoverAlerts(topic, 'failover-late-alerts', lateLog);
    await late.start();

    await sleep(5000);
    await node.start();
    await sleep(3000);
    service?.kill('SIGUSR2'); // stop streaming, close()
    const result = await run;
    // Its own log, shown if it did not end by itself.
    expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as {
      closed: boolean;
      captured: number;
    };
    expect(report.closed).toBe(true);
    expect(report.captured).toBeGreaterThan(3000); // 250/s for about 15 s

    // The transport and the forwarder: every captured event arrived at the ingest.
    await waitUntil(() => arrivals().size >= report.captured || undefined, {
      what: `all ${report.captured} events at the ingest`,
      timeoutMs: 60_000,
    });
    const counts = arrivals();
    const missing = Array.from({ length: report.captured }, (_, i) => i).filter((i) => !counts.has(i));
    expect(missing).toEqual([]);
    const deliveredTwice = [...counts.values()].filter((n) => n > 1).length;

    // The alerts service read every message on the topic (at least once).
    const onTopic = await onTopicNow();
    await admin.disconnect();
    for (const [service, log, which] of [
      [alerts, alertsLog, 'the alerts service'],
      [late, lateLog, 'the alerts service started after the election'],
    ] as const) {
      await waitUntil(() => service.stats.envelopes >= onTopic || undefined, {
        what: `${which} to read all ${onTopic} messages`,
        // An active run whose consumer KafkaJS gave up on during the outage, or that stopped
        // reading a partition, is rebuilt and reads the lookback window again: allow for that.
        timeoutMs: 120_000,
        describeFailure: () => alertsReport(service, log),
      });
    }

    await forwarder.stop();
    await alerts.stop();
    await late.stop();
    const figures = forwarder.metrics;
    console.log(
      `[failover] leader ${leader} killed; partition 0 led by ${newLeader} after; new leader in ${electedInMs} ms, writes resumed in ${writesResumedInMs} ms, delivery in ${resumedInMs} ms; ` +
        `${report.captured} captured, ${onTopic} messages on the topic (${onTopic - report.captured} more: duplicates and non-event envelopes), ` +
        `${deliveredTwice} delivered twice, forwarder duplicates suppressed ${figures.duplicates}, alerts read ${alerts.stats.envelopes}, ` +
        `the late one ${late.stats.envelopes} (${lateLog.lines.filter((l) => l.includes('the active run stopped')).length} runs rebuilt)`,
    );
    expect(newLeader).not.toBe(leader);
    // Writes resume with the election; delivery soon after (the forwarder's consumer finds the new
    // leaders on its next metadata refresh). Bounds generous for a shared machine.
    expect(electedInMs).toBeGreaterThan(0);
    expect(writesResumedInMs - electedInMs).toBeLessThan(10_000);
    expect(resumedInMs - electedInMs).toBeLessThan(20_000);
  }, 300_000);
});

describe('a three-broker cluster losing the group coordinator under an active alerts service', () => {
  it('the alerts service reads on, and the run it stopped on the way does not come back as a second member of its group', async () => {
    // Every group here has one coordinator, the leader of __consumer_offsets (one partition in the
    // test cluster). Killing it fails the leadership's and the active run's consumers together:
    // the instance stands by while KafkaJS is handling its run consumer's crash, or restarting it,
    // and KafkaJS 2.2.4 can start a consumer stopped at either moment again (see
    // restartUnlessStopped and stoppedConsumerError).
    const topic = uniqueName('coordinator');
    await createTopic(cluster.brokers, topic, 2, { 'min.insync.replicas': '2' });
    const groupId = uniqueName('coordinator-alerts');
    const alertsLog = collectingLogger();
    const alerts = createAlertsService(
      {
        brokers: cluster.brokers,
        topic,
        groupId,
        stateTopic: uniqueName('coordinator-alerts-state'),
        dryRun: true,
        logger: alertsLog.logger,
      },
      {},
    );
    await alerts.start();
    await waitUntil(() => alerts.stats.active || undefined, { what: 'the alerts service active' });

    // A steady stream of envelopes through the outage; a send KafkaJS gives up on is tried again.
    const kafka = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    let streaming = true;
    const stream = (async () => {
      for (let i = 0; streaming; i++) {
        const value = Buffer.from(`{"event_id":"${String(i).padStart(32, '0')}"}\n{"type":"event"}\n{}`);
        await producer.send({ topic, messages: [{ value }] }).catch(() => sleep(200));
        await sleep(10);
      }
    })();
    await sleep(2000);

    const coordinator = await cluster.leaderOf('__consumer_offsets', 0);
    const node = cluster.nodes.find((n) => n.id === coordinator);
    if (!node) throw new Error(`no node ${coordinator}`);
    await node.kill();
    await waitUntil(() => alertsLog.lines.some((l) => l.includes('standing by')) || undefined, {
      what: 'the instance to lose its leadership with the coordinator',
      timeoutMs: 60_000,
    });
    await sleep(10_000);
    await node.start();
    await sleep(3000);
    streaming = false;
    await stream;
    await producer.disconnect();

    const admin = kafka.admin();
    await admin.connect();
    try {
      const onTopic = (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
      await waitUntil(() => alerts.stats.envelopes >= onTopic || undefined, {
        what: `the alerts service to read all ${onTopic} messages`,
        timeoutMs: 120_000,
        describeFailure: () => alertsReport(alerts, alertsLog),
      });
      // One member reads the envelope topic for this group: the active run. A member that died
      // in the outage without leaving is gone once its session (30 s) times out.
      const members = async () => (await admin.describeGroups([groupId])).groups[0]?.members.length ?? 0;
      let last = 0;
      await waitUntil(
        async () => {
          last = await members();
          return last === 1 || undefined;
        },
        {
          what: 'one member in the alerts group',
          timeoutMs: 60_000,
          intervalMs: 1000,
          describeFailure: () => `${last} members; ${alertsReport(alerts, alertsLog)}`,
        },
      );
      console.log(
        `[coordinator] node ${coordinator} killed; ${onTopic} messages on the topic, alerts read ${alerts.stats.envelopes}, ${last} member in its group`,
      );
    } finally {
      await admin.disconnect();
      await alerts.stop();
    }
  }, 300_000);
});

/** An alerts service on the failover cluster, in a dry run, counting project 9. */
function failoverAlerts(
  topic: string,
  name: string,
  log: ReturnType<typeof collectingLogger>,
): AlertsService {
  return createAlertsService(
    {
      brokers: cluster.brokers,
      topic,
      groupId: uniqueName(name),
      stateTopic: uniqueName(`${name}-state`),
      dryRun: true,
      projects: ['9'],
      // A run that stalls is rebuilt within the wait below (a healthy one fetches every 500 ms).
      stallAfterMs: 15_000,
      logger: log.logger,
    },
    {},
  );
}

/** The alerts service's figures and the last 80 lines of its log, for a failure message. */
function alertsReport(alerts: AlertsService, log: ReturnType<typeof collectingLogger>): string {
  return `alerts stats ${JSON.stringify(alerts.stats)}; its log:\n${log.lines.slice(-80).join('\n')}`;
}

function collectingLogger() {
  const lines: string[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(
      `${new Date().toISOString()} ${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`,
    );
  };
  return {
    lines,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}
