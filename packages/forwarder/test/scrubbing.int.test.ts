import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@faultline/contract';
import {
  type BugsinkClient,
  connectBugsink,
  createIngestDouble,
  createTopic,
  freePort,
  readTopic,
  runNodeScript,
  uniqueName,
} from '@faultline/testkit';
import { createEnvelope, type Event, serializeEnvelope } from '@sentry/core';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createForwarder, type Forwarder } from '../src/index.js';

// Secrets must leave no process: the app scrubs before its transport, so the spool file, the
// Kafka topic and Bugsink (a real Sentry-protocol server) never hold them. The forwarder's
// --scrub does the same for producers that do not scrub.
const SERVICE = fileURLToPath(new URL('./fixtures/secret-service.mjs', import.meta.url));
const SECRET = {
  authorization: 'eyJ-AUTHZ-SECRET-value',
  cookie: 'COOKIE-SECRET-value',
  password: 'PASSWORD-SECRET-value',
  card: '4111 1111 1111 1111',
  token: 'TOKEN-SECRET-value',
};
const SECRETS = Object.values(SECRET);
const MARKER = 'scrub-e2e: charge failed for card';

let bugsink: BugsinkClient;
const running: Forwarder[] = [];
beforeAll(() => {
  bugsink = connectBugsink(inject('bugsink'));
});
afterEach(async () => {
  for (const forwarder of running.splice(0)) await forwarder.stop();
});

function expectNoSecrets(text: string, where: string): void {
  expect(text, `${where} holds the event`).toContain(MARKER);
  for (const secret of SECRETS) expect(text.includes(secret), `${where} holds ${secret}`).toBe(false);
}

describe('scrubbing end to end', () => {
  it('keeps every secret out of the spool, the topic and Bugsink', async () => {
    const project = await bugsink.createProject('scrubbing-e2e');
    const topic = uniqueName('scrubbed');
    await createTopic(inject('kafkaBrokers'), topic, 1);
    const spoolDir = mkdtempSync(join(tmpdir(), 'faultline-scrub-spool-'));
    const env = {
      PATH: process.env.PATH,
      SENTRY_DSN: project.dsn,
      FAULTLINE_KAFKA_TOPIC: topic,
      FAULTLINE_SPOOL_DIR: spoolDir,
      FIXTURE_SECRETS: JSON.stringify(SECRET),
    };

    // 1. Kafka is unreachable: the event goes to the spool on disk.
    const deadBroker = `127.0.0.1:${await freePort()}`;
    const captured = await runNodeScript(SERVICE, {
      env: { ...env, FAULTLINE_KAFKA_BROKERS: deadBroker, FIXTURE_MODE: 'capture', FIXTURE_CLOSE_MS: '2000' },
      timeoutMs: 60_000,
    });
    expect(captured.stdout).toContain('closed: false');
    // Segments in whichever slot of the service's directory the process took.
    const spoolBytes = readdirSync(spoolDir, { recursive: true })
      .map(String)
      .filter((name) => name.endsWith('.seg'))
      .map((name) => readFileSync(join(spoolDir, name), 'latin1'))
      .join('');
    expectNoSecrets(spoolBytes, 'the spool');

    // 2. Kafka is back: the next process drains the spool to the topic.
    const drained = await runNodeScript(SERVICE, {
      env: { ...env, FAULTLINE_KAFKA_BROKERS: inject('kafkaBrokers').join(','), FIXTURE_MODE: 'drain' },
      timeoutMs: 60_000,
    });
    expect(drained.stdout).toContain('closed: true');
    const messages = await readTopic(inject('kafkaBrokers'), topic, (m) =>
      m.some((x) => x.value?.toString('latin1').includes(MARKER)),
    );
    expectNoSecrets(messages.map((m) => m.value?.toString('latin1') ?? '').join(''), 'the topic');

    // 3. The forwarder delivers it; Bugsink stores it with the filtered values marked.
    const forwarder = createForwarder({
      brokers: inject('kafkaBrokers'),
      topic,
      groupId: uniqueName('forwarder'),
      allowedDsns: [project.dsn],
      logger: silentLogger,
    });
    running.push(forwarder);
    await forwarder.start();
    const [stored] = await bugsink.waitForEvents(project.id, 1, 30_000);
    expectNoSecrets(JSON.stringify(stored?.data), 'Bugsink');
    const data = stored?.data as Event & { _meta?: unknown };
    expect(JSON.stringify(data.request)).toContain('[Filtered]');
  });

  it('scrubs envelopes from a producer that does not, with the forwarder’s --scrub', async () => {
    const ingest = await createIngestDouble();
    try {
      const topic = uniqueName('unscrubbed');
      await createTopic(inject('kafkaBrokers'), topic, 1);
      const dsn = ingest.dsn(5);
      const event: Event = {
        event_id: 'b'.repeat(32),
        message: 'refund to 4111 1111 1111 1111 failed',
        request: { headers: { Authorization: 'Bearer eyJ-AUTHZ-SECRET-value' } },
        extra: { password: 'PASSWORD-SECRET-value', tokens_used: 17 },
      };
      const bytes = serializeEnvelope(
        createEnvelope({ event_id: event.event_id, dsn }, [[{ type: 'event' }, event]]),
      );
      const producer = new Kafka({ brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING }).producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ value: Buffer.from(bytes as string) }] });
      await producer.disconnect();

      const forwarder = createForwarder({
        brokers: inject('kafkaBrokers'),
        topic,
        groupId: uniqueName('forwarder'),
        allowedDsns: [dsn],
        scrub: { rules: ['keys', 'creditcard', 'bearer', 'urlauth', 'pemkey'] },
        logger: silentLogger,
      });
      running.push(forwarder);
      await forwarder.start();
      const delivered = await ingest.waitForItem<Event>('event', 30_000);
      expect(delivered.message).toBe('refund to [Filtered] failed');
      expect(delivered.request?.headers).toEqual({ Authorization: '[Filtered]' });
      expect(delivered.extra).toEqual({ password: '[Filtered]', tokens_used: 17 });
      const raw = ingest.requests.map((r) => r.body.toString('latin1')).join('');
      for (const secret of ['4111 1111 1111 1111', 'eyJ-AUTHZ-SECRET-value', 'PASSWORD-SECRET-value']) {
        expect(raw.includes(secret)).toBe(false);
      }
    } finally {
      await ingest.close();
    }
  });
});
