import { Agent, request } from 'node:http';
import { createIngestDouble, type KafkaBroker, startKafka, uniqueName, waitUntil } from '@faultline/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, bench, describe } from 'vitest';
import { createForwarder } from '../src/index.js';
import { envelopeBytes, produce } from '../test/helpers.js';

// Envelopes per second from the real broker to the ingest double, beside a baseline of raw
// KafkaJS consumption plus a plain keep-alive POST loop over the same messages, in the same run;
// then delivery latency (Kafka timestamp to arrival at the ingest) at a moderate steady load.
// The ingest double runs in this process for both, so both pay for its work.

const broker: KafkaBroker = await startKafka({ partitions: 4 });
const brokers = broker.brokers;
const ingest = await createIngestDouble();
const N = 2000;
const topic = uniqueName('bench-envelopes');
await produce(
  brokers,
  topic,
  Array.from({ length: N }, (_, i) => envelopeBytes(ingest.dsn(3), i)),
  4,
);
const kafka = new Kafka({ brokers, clientId: 'bench-baseline', logLevel: logLevel.NOTHING });
const agent = new Agent({ keepAlive: true, maxSockets: 32 });
const url = new URL(`${ingest.url}/api/3/envelope/`);

function post(body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end(body);
  });
}

const stopping: Promise<void>[] = [];

describe(`${N} envelopes, broker to ingest double (4 partitions, 4 at once)`, () => {
  bench(
    'baseline: raw KafkaJS consumer + keep-alive POST loop',
    async () => {
      const consumer = kafka.consumer({ groupId: uniqueName('baseline') });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let done = 0;
      await new Promise<void>((resolve) => {
        void consumer.run({
          partitionsConsumedConcurrently: 4,
          eachMessage: async ({ message }) => {
            await post(message.value ?? Buffer.alloc(0));
            if (++done === N) resolve();
          },
        });
      });
      stopping.push(consumer.disconnect());
    },
    { iterations: 5, warmupIterations: 2, warmupTime: 0, time: 0 },
  );
  bench(
    'createForwarder',
    async () => {
      const forwarder = createForwarder({
        brokers,
        topic,
        groupId: uniqueName('forwarder'),
        allowedDsns: ['publickey'],
        concurrency: 4,
        dedupeSize: 1, // every iteration delivers the same event ids again
        log: () => undefined,
      });
      await forwarder.start();
      const deadline = Date.now() + 120_000;
      while (forwarder.metrics.delivered < N && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // Leaving the group is not delivery work; it finishes in the background.
      stopping.push(forwarder.stop());
    },
    { iterations: 5, warmupIterations: 2, warmupTime: 0, time: 0 },
  );
});

afterAll(async () => {
  await Promise.all(stopping);
  // Moderate steady load: 100 envelopes per second for 10 seconds, latency per envelope.
  const latencyTopic = uniqueName('bench-latency');
  await produce(brokers, latencyTopic, []);
  const forwarder = createForwarder({
    brokers,
    topic: latencyTopic,
    groupId: uniqueName('latency'),
    allowedDsns: ['publickey'],
    log: () => undefined,
  });
  await forwarder.start();
  const producer = kafka.producer();
  await producer.connect();
  const sentAt = new Map<string, number>();
  const arrivedAt = new Map<string, number>();
  const before = ingest.requests.length;
  const poll = setInterval(() => {
    for (const r of ingest.requests.slice(before)) {
      const id = r.envelope?.[0].event_id as string | undefined;
      if (id && !arrivedAt.has(id)) arrivedAt.set(id, Date.now());
    }
  }, 2);
  for (let i = 0; i < 1000; i++) {
    const body = envelopeBytes(ingest.dsn(3), 100_000 + i);
    const id = `${(100_000 + i).toString(16).padStart(8, '0')}${'a'.repeat(24)}`;
    sentAt.set(id, Date.now());
    await producer.send({ topic: latencyTopic, messages: [{ value: body }] });
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await waitUntil(() => arrivedAt.size >= 1000 || undefined, { what: '1000 arrivals', timeoutMs: 60_000 });
  clearInterval(poll);
  const latencies = [...sentAt].map(([id, t]) => (arrivedAt.get(id) ?? t) - t).sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  console.log(
    `forwarder delivery latency at ~100 envelopes/s (1000 envelopes): p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${latencies.at(-1)} ms`,
  );
  await producer.disconnect();
  await forwarder.stop();
  await ingest.close();
  agent.destroy();
  await broker.destroy();
}, 300_000);
