import { fileURLToPath } from 'node:url';
import { createTopic, type KafkaBroker, runNodeScript, startKafka, uniqueName } from '@faultline/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, bench, describe } from 'vitest';

// Messages per second consumed from the real broker: raw KafkaJS, Faultline (initObservability
// and the instrumented consumer) at trace rates 0, 0.1 and 1.0, and a consumer under Sentry's own
// kafkajs integration at the same rates, all in one run. At rate 0, also the instrumentation alone
// under a plain Sentry.init, beside the floor of a Sentry scope per message, and the part of that
// floor any Sentry-instrumented service pays (one scope entered for the whole run: on Node 20,
// AsyncLocalStorage then runs hooks on every promise). Each configuration
// runs in a process of its own (consume-rate.mjs); the figures are printed together at the end,
// each beside its baseline (raw KafkaJS, and Sentry's integration at the same rate).

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

const ROUNDS = 3;
const RATES = [0, 0.1, 1] as const;
// Best of ROUNDS per configuration: the machine is shared, and a slow round says more about the
// neighbours than about the code. Rounds interleave the configurations so drift hits all alike.
const best = new Map<string, number>();
const failures: string[] = [];
// Spans the transport was given, per configuration (and the envelopes that carried them): the
// modes compared at a rate should trace the same share of messages.
const sent = new Map<string, { envelopes: number; spans: number; traces: number }>();
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
  const { perSecond, sent: envelopes } = JSON.parse(result.stdout.trim().split('\n').at(-1) || '{}') as {
    perSecond?: number;
    sent?: { envelopes: number; spans: number; traces: number };
  };
  if (typeof perSecond !== 'number') {
    failures.push(`${mode} ${rate}: ${result.stderr.slice(-300)}`);
    return;
  }
  const key = `${mode} ${rate}`;
  best.set(key, Math.max(best.get(key) ?? 0, perSecond));
  if (envelopes) sent.set(key, envelopes);
}

describe(`consume ${COUNT} messages (one process per configuration, best of ${ROUNDS})`, () => {
  bench(
    'all configurations',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        await measure('raw', 0);
        await measure('sdk', 0);
        await measure('context', 0);
        await measure('isolation', 0);
        await measure('wrapper', 0);
        for (const rate of RATES) {
          await measure('faultline', rate);
          await measure('sentry', rate);
        }
      }
    },
    { iterations: 1, warmupIterations: 0, warmupTime: 0, time: 0 },
  );
});

afterAll(async () => {
  const raw = best.get('raw 0') ?? Number.NaN;
  const figure = (n: number | undefined) => (n === undefined ? 'n/a' : Math.round(n).toLocaleString('en'));
  const spansOf = (key: string) => {
    const s = sent.get(key);
    return s ? `${figure(s.spans)} (${figure(s.envelopes)}, ${figure(s.traces)})` : 'n/a';
  };
  const sdk = best.get('sdk 0');
  const context = best.get('context 0');
  const isolation = best.get('isolation 0');
  const wrapper = best.get('wrapper 0');
  const lines = [
    `raw KafkaJS (baseline)            ${figure(raw).padStart(9)} msg/s`,
    `Sentry.init, consumer not wrapped ${figure(sdk).padStart(9)} msg/s  ` +
      `${((sdk ?? Number.NaN) / raw).toFixed(2)} of raw (the SDK's presence alone)`,
    `one scope for the whole run       ${figure(context).padStart(9)} msg/s  ` +
      `${((context ?? Number.NaN) / raw).toFixed(2)} of raw (the async context's cost once a scope was entered)`,
    `Sentry.withIsolationScope per msg ${figure(isolation).padStart(9)} msg/s  ` +
      `${((isolation ?? Number.NaN) / raw).toFixed(2)} of raw (the floor for a scope per message)`,
    `instrumentConsumer, Sentry.init  ${figure(wrapper).padStart(9)} msg/s  ` +
      `${((wrapper ?? Number.NaN) / raw).toFixed(2)} of raw, ` +
      `${((wrapper ?? Number.NaN) / (isolation ?? Number.NaN)).toFixed(2)} of the floor (trace rate 0)`,
  ];
  for (const rate of RATES) {
    const ours = best.get(`faultline ${rate}`);
    const sentry = best.get(`sentry ${rate}`);
    lines.push(
      `Faultline, trace rate ${String(rate).padEnd(4)}        ${figure(ours).padStart(9)} msg/s  ` +
        `${((ours ?? Number.NaN) / raw).toFixed(2)} of raw${rate === 0 ? ' (aim: 0.50)' : ''}`,
      `Sentry's integration, rate ${String(rate).padEnd(4)}   ${figure(sentry).padStart(9)} msg/s  ` +
        `Faultline is ${((ours ?? Number.NaN) / (sentry ?? Number.NaN)).toFixed(2)}x this${rate === 1 ? ' (aim: 1.2x)' : ''}`,
      `  spans sent (envelopes, traces): Faultline ${spansOf(`faultline ${rate}`)}, Sentry's integration ` +
        `${spansOf(`sentry ${rate}`)}`,
    );
  }
  console.log(`kafkajs consumption, ${COUNT} messages, best of ${ROUNDS}:\n  ${lines.join('\n  ')}`);
  if (failures.length > 0) console.log(`failed runs:\n  ${failures.join('\n  ')}`);
  await broker.destroy();
}, 120_000);
