import { fileURLToPath } from 'node:url';
import { createTopic, type KafkaBroker, runNodeScript, startKafka, uniqueName } from '@faultline/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, bench, describe } from 'vitest';

// Messages per second consumed from the real broker: raw KafkaJS, the instrumented consumer at
// trace rates 0, 0.1 and 1.0, and a consumer under Sentry's own kafkajs integration at the same
// rates, all in one run. Each configuration runs in a process of its own (consume-rate.mjs); the
// figures are printed together at the end, raw first as the baseline.

const COUNT = 20_000;
const broker: KafkaBroker = await startKafka();
const topic = uniqueName('bench-consume');
const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
await createTopic(broker.brokers, topic);
const producer = kafka.producer();
await producer.connect();
for (let i = 0; i < COUNT; i += 1000) {
  await producer.send({
    topic,
    messages: Array.from({ length: 1000 }, (_, j) => ({
      value: JSON.stringify({ order: i + j, items: [1, 2, 3] }),
    })),
  });
}
await producer.disconnect();

const results: string[] = [];
async function measure(mode: string, rate: number): Promise<void> {
  const result = await runNodeScript(fileURLToPath(new URL('./consume-rate.mjs', import.meta.url)), {
    env: {
      ...process.env,
      MODE: mode,
      RATE: String(rate),
      BROKERS: JSON.stringify(broker.brokers),
      TOPIC: topic,
      COUNT: String(COUNT),
    },
    timeoutMs: 300_000,
  });
  results.push(result.stdout.trim() || `${mode} ${rate}: ${result.stderr.slice(-300)}`);
}

describe(`consume ${COUNT} messages (one process per configuration)`, () => {
  bench(
    'all configurations',
    async () => {
      await measure('raw', 0);
      for (const rate of [0, 0.1, 1]) {
        await measure('faultline', rate);
        await measure('sentry', rate);
      }
    },
    { iterations: 1, warmupIterations: 0, warmupTime: 0, time: 0 },
  );
});

afterAll(async () => {
  console.log(`kafkajs consumption, messages per second:\n  ${results.join('\n  ')}`);
  await broker.destroy();
}, 120_000);
