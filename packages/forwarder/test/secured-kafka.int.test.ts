import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAlertsService } from '@faultline/alerts';
import { silentLogger } from '@faultline/contract';
import {
  createIngestDouble,
  createTopic,
  type IngestDouble,
  type KafkaBroker,
  runNodeScript,
  type SecuredListener,
  startKafka,
  uniqueName,
  waitUntil,
} from '@faultline/testkit';
import type { Event } from '@sentry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Kafka as managed services run it: SASL over TLS with a private CA. A real broker (its own, with
// a SASL_SSL listener beside the plaintext one the test's admin uses) and a real ingest path: the
// service through the Kafka transport (SCRAM-SHA-512), the forwarder's CLI (PLAIN), the alerts
// (OAUTHBEARER). Each reads the connection from the one set of variables, secrets from files.
const APP = fileURLToPath(new URL('../../core/test/fixtures/kafka-app.mjs', import.meta.url));
const CLI = fileURLToPath(new URL('../bin/faultline-forwarder.mjs', import.meta.url));

let broker: KafkaBroker;
let secured: SecuredListener;
let ingest: IngestDouble;
const dir = mkdtempSync(join(tmpdir(), 'faultline-secured-'));
const secretFile = (name: string, value: string) => {
  const path = join(dir, name);
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return path;
};

beforeAll(async () => {
  broker = await startKafka({ secured: true, heap: '384m' });
  if (!broker.secured) throw new Error('no secured listener');
  secured = broker.secured;
  ingest = await createIngestDouble();
}, 120_000);
afterAll(async () => {
  await ingest?.close();
  await broker?.destroy();
});

/** The `seq` tags of the events the ingest accepted for `project`. */
function seqsDelivered(project: number): Set<number> {
  const seqs = new Set<number>();
  for (const request of ingest.requests) {
    if (request.status !== 200 || !request.url.includes(`/api/${project}/`)) continue;
    for (const [header, payload] of request.envelope?.[1] ?? []) {
      if (header.type === 'event') seqs.add(Number((payload as Event).tags?.seq));
    }
  }
  return seqs;
}

describe('a cluster reached over SASL_SSL', () => {
  it('carries events from the transport through the forwarder to the ingest, and the alerts count them', async () => {
    const topic = uniqueName('secured');
    await createTopic(broker.brokers, topic);
    const dsn = ingest.dsn(41);
    const shared = {
      PATH: process.env.PATH,
      FAULTLINE_KAFKA_BROKERS: secured.brokers.join(','),
      FAULTLINE_KAFKA_TOPIC: topic,
      FAULTLINE_KAFKA_SSL_CA_FILE: secured.caFile,
    };

    const service = await runNodeScript(APP, {
      env: {
        ...shared,
        SENTRY_DSN: dsn,
        FAULTLINE_SERVICE: 'secured-service',
        FAULTLINE_KAFKA_SASL_MECHANISM: 'scram-sha-512',
        FAULTLINE_KAFKA_SASL_USERNAME: secured.username,
        FAULTLINE_KAFKA_SASL_PASSWORD_FILE: secretFile('service-password', secured.password),
        FAULTLINE_SPOOL_DIR: join(dir, 'spool'),
        FIXTURE_SCENARIO: 'count',
        FIXTURE_COUNT: '40',
      },
      timeoutMs: 60_000,
    });
    expect(service.code, service.stderr).toBe(0);
    const report = JSON.parse(service.stdout.trim().split('\n').at(-1) ?? '{}');
    // Written to the broker itself, none parked in the disk buffer (the 40 events, and the SDK's
    // own envelopes such as a client report).
    expect(report).toMatchObject({ closed: true, captured: 40, kafka: { spooled: 0, dropped: 0 } });
    expect(report.kafka.delivered).toBeGreaterThanOrEqual(40);

    const forwarder = runNodeScript(CLI, {
      env: {
        ...shared,
        FAULTLINE_FORWARDER_KAFKA_SASL_MECHANISM: 'plain',
        FAULTLINE_FORWARDER_KAFKA_SASL_USERNAME: secured.username,
        FAULTLINE_FORWARDER_KAFKA_SASL_PASSWORD_FILE: secretFile('forwarder-password', secured.password),
        FAULTLINE_FORWARDER_GROUP: uniqueName('secured-forwarder'),
        FAULTLINE_FORWARDER_ALLOWED_DSNS: dsn,
      },
      timeoutMs: 90_000,
      onStdout: (_, child) => {
        forwarderChild = child;
      },
    });
    let forwarderChild: import('node:child_process').ChildProcess | undefined;
    await waitUntil(() => seqsDelivered(41).size >= 40 || undefined, {
      what: '40 events through the secured cluster',
      timeoutMs: 60_000,
    });
    forwarderChild?.kill('SIGTERM');
    const forwarded = await forwarder;
    expect(forwarded.code, forwarded.stderr).toBe(0);
    expect([...seqsDelivered(41)].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(forwarded.stdout + forwarded.stderr).not.toContain(secured.password);

    const alerts = createAlertsService(
      { dryRun: true, projects: ['41'], groupId: uniqueName('secured-alerts'), logger: silentLogger },
      {
        ...shared,
        FAULTLINE_ALERTS_KAFKA_SASL_MECHANISM: 'oauthbearer',
        FAULTLINE_ALERTS_KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: secretFile('token', secured.oauthToken('alerts')),
      },
    );
    try {
      await alerts.start();
      await waitUntil(() => alerts.stats.envelopes >= 40 || undefined, {
        what: 'the alerts reading 40 envelopes over OAUTHBEARER',
        timeoutMs: 60_000,
      });
    } finally {
      await alerts.stop();
    }
  });

  it('the alerts service, refused its password, does not wait for Kafka: start() throws at once, naming no secret', async () => {
    const password = 'not-the-password-2c9e';
    const alerts = createAlertsService(
      { dryRun: true, groupId: uniqueName('secured-alerts-refused'), logger: silentLogger },
      {
        FAULTLINE_KAFKA_BROKERS: secured.brokers.join(','),
        FAULTLINE_KAFKA_SSL_CA_FILE: secured.caFile,
        FAULTLINE_ALERTS_KAFKA_SASL_MECHANISM: 'scram-sha-256',
        FAULTLINE_ALERTS_KAFKA_SASL_USERNAME: secured.username,
        FAULTLINE_ALERTS_KAFKA_SASL_PASSWORD: password,
      },
    );
    const startedAt = Date.now();
    const error = await alerts.start().then(
      () => undefined,
      (e: Error) => e,
    );
    await alerts.stop();
    expect(error?.message).toMatch(/authentication failed/i);
    expect(error?.message).not.toContain(password);
    // KafkaJS's own retries of the refusal, not Faultline's wait for Kafka (which never ends).
    expect(Date.now() - startedAt).toBeLessThan(30_000);
  });

  it('says in one line, naming the mechanism, that the broker refused the password', async () => {
    const topic = uniqueName('secured-refused');
    await createTopic(broker.brokers, topic);
    const password = 'not-the-password-7f3a';
    let output = '';
    let child: import('node:child_process').ChildProcess | undefined;
    const run = runNodeScript(CLI, {
      env: {
        PATH: process.env.PATH,
        FAULTLINE_KAFKA_BROKERS: secured.brokers.join(','),
        FAULTLINE_KAFKA_TOPIC: topic,
        FAULTLINE_KAFKA_SSL_CA_FILE: secured.caFile,
        FAULTLINE_KAFKA_SASL_MECHANISM: 'scram-sha-256',
        FAULTLINE_KAFKA_SASL_USERNAME: secured.username,
        FAULTLINE_KAFKA_SASL_PASSWORD: password,
        FAULTLINE_FORWARDER_ALLOWED_DSNS: ingest.dsn(42),
      },
      timeoutMs: 60_000,
      onStdout: (text, c) => {
        output += text;
        child = c;
      },
    });
    await waitUntil(() => /authentication failed/i.test(output) || undefined, {
      what: 'the refusal in the log',
      timeoutMs: 30_000,
    });
    // Long enough for KafkaJS's retries of the same refusal: they must not repeat the line.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    child?.kill('SIGTERM');
    const result = await run;
    const all = output + result.stderr;
    const refusals = all.split('\n').filter((line) => /authentication failed/i.test(line));
    expect(refusals, all).toHaveLength(1);
    expect(refusals[0]).toContain('SCRAM-SHA-256');
    expect(all).not.toContain(password);
    expect(all).not.toMatch(/\n\s+at /);
  });

  it('the service says once that the broker refused it, keeps its events in the spool, and never shows the password', async () => {
    const topic = uniqueName('secured-service-refused');
    await createTopic(broker.brokers, topic);
    const password = 'wrong-service-password-91c2';
    const service = await runNodeScript(APP, {
      env: {
        PATH: process.env.PATH,
        SENTRY_DSN: ingest.dsn(43),
        FAULTLINE_SERVICE: 'secured-refused',
        FAULTLINE_KAFKA_BROKERS: secured.brokers.join(','),
        FAULTLINE_KAFKA_TOPIC: topic,
        FAULTLINE_KAFKA_SSL_CA_FILE: secured.caFile,
        FAULTLINE_KAFKA_SASL_MECHANISM: 'scram-sha-512',
        FAULTLINE_KAFKA_SASL_USERNAME: secured.username,
        FAULTLINE_KAFKA_SASL_PASSWORD: password,
        FAULTLINE_SPOOL_DIR: join(dir, 'refused-spool'),
        FIXTURE_SCENARIO: 'count',
        FIXTURE_COUNT: '10',
        FIXTURE_CLOSE_TIMEOUT_MS: '3000',
      },
      timeoutMs: 60_000,
    });
    const all = service.stdout + service.stderr;
    expect(service.code, all).toBe(0);
    const report = JSON.parse(service.stdout.trim().split('\n').at(-1) ?? '{}');
    // Nothing lost: the events wait in the spool for a password that works.
    expect(report.kafka.inSpool).toBeGreaterThanOrEqual(10);
    const refusals = all.split('\n').filter((line) => /authentication failed/i.test(line));
    expect(refusals, all).toHaveLength(1);
    expect(refusals[0]).toContain('SCRAM-SHA-512');
    expect(all).not.toContain(password);
  });
});
