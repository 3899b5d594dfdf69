import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type KafkaBroker, runNodeScript, startKafka, uniqueName } from '@faultline/testkit';
import type { Envelope } from '@sentry/core';
import { CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, bench, describe } from 'vitest';
import { type KafkaTransport, makeKafkaTransport } from '../src/index.js';
import { benchEnvelope } from './bench-envelope.js';

// The transport against a real broker, each figure beside its baseline in the same run:
// 1. envelopes per second through the transport against raw KafkaJS sending the same bytes;
// 2. time the app spends per captureException, against Sentry's default HTTP transport;
// 3. peak RSS while 1,000,000 envelopes arrive during a broker outage;
// 4. how fast a spool left by an outage drains to Kafka, against raw KafkaJS sending the same
//    messages.
// 2, 3 and 4 are printed at the end.

const broker: KafkaBroker = await startKafka();
const brokers = broker.brokers;
const BATCH = 1000;
const INGEST_URL = 'http://127.0.0.1:9/api/1/envelope/?sentry_version=7&sentry_key=publickey';
const spoolDir = () => mkdtempSync(join(tmpdir(), 'faultline-bench-spool-'));

const envelopes: Envelope[] = Array.from({ length: BATCH }, (_, i) =>
  benchEnvelope(i, { tags: { service: 'bench' } }),
);

const topicA = uniqueName('bench-raw');
const topicB = uniqueName('bench-transport');
const kafka = new Kafka({ brokers, clientId: 'bench-raw', logLevel: logLevel.NOTHING });
const raw: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await raw.connect();
const transport: KafkaTransport = makeKafkaTransport({ brokers, topic: topicB, spool: { dir: spoolDir() } })({
  url: INGEST_URL,
  recordDroppedEvent: () => undefined,
});
// The same bytes the transport puts on the topic (it adds the public DSN to each header).
const { toEnvelopeMessage, ingestTargetFromUrl } = await import('../src/index.js');
const target = ingestTargetFromUrl(INGEST_URL);
const rawMessages = envelopes.map((e) => toEnvelopeMessage(structuredClone(e), target).message);

describe(`${BATCH} envelopes to the broker (acks -1, gzip, batches of 200)`, () => {
  bench('baseline: raw KafkaJS producer, same bytes', async () => {
    for (let i = 0; i < BATCH; i += 200) {
      await raw.send({
        topic: topicA,
        messages: rawMessages.slice(i, i + 200),
        acks: -1,
        compression: CompressionTypes.GZIP,
      });
    }
  });
  bench('makeKafkaTransport: send() then flush()', async () => {
    // The same envelope objects each round: the transport serializes them as the SDK's would be.
    for (const envelope of envelopes) transport.send(envelope);
    await transport.flush(30_000);
  });
});

// 2 and 3 run in processes of their own: the SDK is process-global, and RSS must be the
// scenario's alone.
const script = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

afterAll(async () => {
  const cost: Record<string, string> = {};
  for (const mode of ['http', 'kafka']) {
    const result = await runNodeScript(script('capture-cost.mjs'), {
      env: { ...process.env, MODE: mode, BROKERS: JSON.stringify(brokers) },
      timeoutMs: 180_000,
    });
    cost[mode] = result.stdout.trim() || result.stderr.slice(-500);
  }
  console.log(
    `time per captureException, baseline (Sentry's HTTP transport to a local endpoint): ${cost.http}`,
  );
  console.log(
    `time per captureException, makeKafkaTransport to the broker:                        ${cost.kafka}`,
  );
  const outage = await runNodeScript(script('outage-rss.mjs'), {
    nodeArgs: ['--expose-gc'],
    timeoutMs: 600_000,
  });
  console.log(
    `broker outage, peak RSS (baseline = RSS before the first envelope): ${outage.stdout.trim() || outage.stderr.slice(-500)}`,
  );
  const drain = await runNodeScript(script('drain-rate.mjs'), {
    env: { ...process.env, BROKERS: JSON.stringify(brokers) },
    timeoutMs: 600_000,
  });
  console.log(
    `spool drain after an outage (baseline = raw KafkaJS, same messages): ${drain.stdout.trim() || drain.stderr.slice(-500)}`,
  );
  await transport.close(2000);
  await raw.disconnect();
  await broker.destroy();
}, 900_000);
