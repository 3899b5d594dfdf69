import { fileURLToPath } from 'node:url';
import { toEnvelopeMessage } from '@faultline/kafka-transport';
import { hostileMessages, type KafkaBroker, runNodeScript, startKafka, uniqueName } from '@faultline/testkit';
import { createEnvelope, type Envelope, serializeEnvelope } from '@sentry/core';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, bench, describe } from 'vitest';

// Envelopes per second evaluated by the alerts service (parse, observe, spike, regression and
// degradation), beside raw KafkaJS consumption of the same topic in the same run (aim: at least
// 0.7 of raw, issue 26). The topic holds what services write: error events, some carrying the policy's
// dropped_since_last_kept, from 200 fingerprints and 3 releases, and span containers.
const N = 100_000;
const broker: KafkaBroker = await startKafka({ partitions: 4 });
const topic = uniqueName('bench-alerts');
const dsn = 'http://publickey@127.0.0.1:9/42';
const now = Date.now();

function envelopeOf(i: number): Envelope {
  const at = (now - 30 * 60_000 + (i / N) * 30 * 60_000) / 1000;
  const item =
    i % 5 < 3
      ? [
          { type: 'event' },
          {
            event_id: i.toString(16).padStart(32, '0'),
            level: 'error',
            release: `shop@1.${i % 3}.0`,
            timestamp: at,
            exception: {
              values: [
                {
                  type: 'TypeError',
                  value: `failure ${['alpha', 'beta', 'gamma', 'delta'][i % 4]} ${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + ((i >> 5) % 8))}`,
                  stacktrace: {
                    frames: [{ filename: 'app.js', function: 'handle', lineno: 10, in_app: true }],
                  },
                },
              ],
            },
            contexts: i % 4 === 0 ? { sampling: { dropped_since_last_kept: 9, sample_rate: 0.1 } } : {},
            tags: { service: 'shop' },
          },
        ]
      : [
          { type: 'span', item_count: 5, content_type: 'application/vnd.sentry.items.span.v2+json' },
          {
            items: Array.from({ length: 5 }, (_, k) => ({
              trace_id: 'c'.repeat(32),
              span_id: `${i}${k}`.padStart(16, '0'),
              name: k === 0 ? `GET /route-${i % 20}` : `db query ${k}`,
              is_segment: k === 0,
              start_timestamp: at,
              end_timestamp: at + 0.05 + (i % 7) / 100,
              status: 'ok',
            })),
          },
        ];
  return createEnvelope({ dsn, sent_at: new Date().toISOString() }, [item] as never) as Envelope;
}
const envelope = (i: number) => Buffer.from(serializeEnvelope(envelopeOf(i)) as string);

// The same topic again with one message in a hundred from the crafted set of issue 22 (junk, a
// header nested 100,000 deep, a null payload, 5 MB that gzip makes small, timestamps 0 and 1e12).
const mixedTopic = uniqueName('bench-alerts-mixed');
// The same mix without the 5 MB value: at 1% that value alone is eight times the clean topic's
// bytes, which any consumer pays to inflate; without it, what is left is the cost of the shapes.
const shapesTopic = uniqueName('bench-alerts-shapes');
const allCrafted = hostileMessages(dsn);
let crafted = allCrafted;
// The same envelopes as Faultline's Kafka transport (and the intake) writes them: with the
// observations header, which the alerts read instead of parsing the envelope. The topics above
// are what a producer without it writes (or a spool drain sends again), and they are parsed.
const headerTopic = uniqueName('bench-alerts-header');
async function fill(name: string, hostileEvery: number | undefined, asTransport = false): Promise<void> {
  const kafka = new Kafka({
    brokers: broker.brokers,
    clientId: 'bench-alerts-producer',
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: name, numPartitions: 4 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let from = 0; from < N; from += 1000) {
    const good = [];
    const hostile = [];
    for (let i = from; i < from + 1000; i++) {
      if (hostileEvery !== undefined && i % hostileEvery === hostileEvery / 2) {
        const message = crafted[Math.floor(i / hostileEvery) % crafted.length] as (typeof crafted)[number];
        hostile.push({ key: String(i), value: message.value });
      } else if (asTransport) good.push(toEnvelopeMessage(envelopeOf(i), { dsn, projectId: '42' }).message);
      else good.push({ key: String(i), value: envelope(i) });
    }
    // Clean envelopes as before (uncompressed); the crafted ones gzip-compressed, which the 5 MB
    // value needs to be taken at all.
    await producer.send({ topic: name, messages: good });
    if (hostile.length > 0) {
      await producer.send({ topic: name, compression: CompressionTypes.GZIP, messages: hostile });
    }
  }
  await producer.disconnect();
}
await fill(topic, undefined);
await fill(mixedTopic, 100);
crafted = allCrafted.filter((message) => !message.gzip);
await fill(shapesTopic, 100);
await fill(headerTopic, undefined, true);

const results: Record<string, { rate: number[]; peakRssMb: number }> = {};
async function measure(mode: 'alerts' | 'raw', name: string = mode, topicName = topic) {
  const run = await runNodeScript(fileURLToPath(new URL('./alerts-rate.mjs', import.meta.url)), {
    args: [mode],
    env: { PATH: process.env.PATH, BROKERS: broker.brokers.join(','), TOPIC: topicName, N: String(N) },
    timeoutMs: 240_000,
  });
  if (run.code !== 0) throw new Error(`${mode} failed: ${run.stderr.slice(-2000)}`);
  const { rate, peakRssMb } = JSON.parse(run.stdout.trim().split('\n').at(-1) as string);
  const entry = results[name] ?? { rate: [], peakRssMb: 0 };
  entry.rate.push(rate);
  entry.peakRssMb = Math.max(entry.peakRssMb, peakRssMb);
  results[name] = entry;
}

const options = { iterations: 3, warmupIterations: 0, warmupTime: 0, time: 0 };
describe(`${N} envelopes (60% errors, 40% span containers) from a real broker`, () => {
  bench('baseline: raw KafkaJS consumption', () => measure('raw'), options);
  bench('createAlertsService: the three rules', () => measure('alerts'), options);
  bench('raw KafkaJS, 1% hostile mixed in', () => measure('raw', 'raw mixed', mixedTopic), options);
  bench('createAlertsService, 1% hostile mixed in', () => measure('alerts', 'mixed', mixedTopic), options);
  bench(
    'raw KafkaJS, 1% hostile shapes (no 5 MB value)',
    () => measure('raw', 'raw shapes', shapesTopic),
    options,
  );
  bench(
    'createAlertsService, 1% hostile shapes (no 5 MB value)',
    () => measure('alerts', 'shapes', shapesTopic),
    options,
  );
  bench(
    "raw KafkaJS, as Faultline's transport writes them",
    () => measure('raw', 'raw header', headerTopic),
    options,
  );
  bench(
    "createAlertsService, as Faultline's transport writes them (observations header)",
    () => measure('alerts', 'header', headerTopic),
    options,
  );
});

afterAll(async () => {
  const best = (mode: string) => Math.max(...(results[mode]?.rate ?? [0]));
  const raw = best('raw');
  const alerts = best('alerts');
  console.log(
    `\nalerts throughput (best of 3, each run a process of its own, first envelope to the ${N}th):\n` +
      `  raw KafkaJS ${raw.toFixed(0)}/s (peak RSS ${results.raw?.peakRssMb.toFixed(0)} MB)  ` +
      `alerts ${alerts.toFixed(0)}/s (peak RSS ${results.alerts?.peakRssMb.toFixed(0)} MB)  = ${(alerts / raw).toFixed(2)} of raw (aim 0.7)\n` +
      `  with 1% hostile mixed in: alerts ${best('mixed').toFixed(0)}/s (peak RSS ${results.mixed?.peakRssMb.toFixed(0)} MB) = ${(best('mixed') / alerts).toFixed(2)} of clean (aim 0.9); ` +
      `raw KafkaJS ${best('raw mixed').toFixed(0)}/s = ${(best('raw mixed') / raw).toFixed(2)} of clean (what the crafted bytes, 5 MB values among them, cost any consumer), ` +
      `so alerts = ${(best('mixed') / best('raw mixed')).toFixed(2)} of raw on that topic\n` +
      `  with 1% hostile shapes (the same without the 5 MB value): alerts ${best('shapes').toFixed(0)}/s = ${(best('shapes') / alerts).toFixed(2)} of clean (aim 0.9); ` +
      `raw KafkaJS ${best('raw shapes').toFixed(0)}/s = ${(best('raw shapes') / raw).toFixed(2)} of clean, so alerts = ${(best('shapes') / best('raw shapes')).toFixed(2)} of raw on that topic (clean: ${(alerts / raw).toFixed(2)})\n` +
      `  as Faultline's transport writes them (the observations header, read instead of the envelope): alerts ${best('header').toFixed(0)}/s (peak RSS ${results.header?.peakRssMb.toFixed(0)} MB), ` +
      `raw KafkaJS ${best('raw header').toFixed(0)}/s on that topic, so alerts = ${(best('header') / best('raw header')).toFixed(2)} of raw (aim 0.7); the topics above are parsed, as envelopes without the header are`,
  );
  await broker.destroy();
});
