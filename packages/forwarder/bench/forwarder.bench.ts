import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@faultline/contract';
import { type KafkaBroker, runNodeScript, startKafka, uniqueName, waitUntil } from '@faultline/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, bench, describe } from 'vitest';
import { createForwarder } from '../src/index.js';
import { envelopeBytes, produce } from '../test/helpers.js';

// Envelopes per second from the real broker to an ingest that answers after 0, 20 and 50 ms
// (Sentry's ingest is typically 20-150 ms from a data centre), beside a baseline measured in the
// same run: raw KafkaJS consumption plus a keep-alive POST loop with the same number of requests
// in flight (256). Then 5% of answers 503 at 50 ms, and delivery latency at a steady load.
// The ingest runs in a process of its own, so its work is not charged to either side.

const IN_FLIGHT = 256;
const N = 10_000;
const broker: KafkaBroker = await startKafka({ partitions: 4 });
const brokers = broker.brokers;
const ingestProcess: ChildProcess = spawn(
  process.execPath,
  [fileURLToPath(new URL('./delayed-ingest.mjs', import.meta.url))],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const ingestPort = await new Promise<number>((resolve) =>
  ingestProcess.stdout?.once('data', (text: Buffer) => resolve(Number(/port (\d+)/.exec(String(text))?.[1]))),
);
const dsn = `http://publickey@127.0.0.1:${ingestPort}/3`;
const topic = uniqueName('bench-envelopes');
await produce(
  brokers,
  topic,
  Array.from({ length: N }, (_, i) => envelopeBytes(dsn, i)),
  4,
);
const kafka = new Kafka({ brokers, clientId: 'bench-latency', logLevel: logLevel.NOTHING });
const results: Record<string, { rate: number[]; peakRssMb: number }> = {};

async function configureIngest(settings: { delayMs?: number; failRate?: number; reset?: boolean }) {
  await fetch(`http://127.0.0.1:${ingestPort}/configure`, { method: 'POST', body: JSON.stringify(settings) });
}
/** One run of `forwarder-rate.mjs` in a child process; keeps its rate and peak RSS under `name`. */
async function measure(name: string, mode: 'forwarder' | 'baseline') {
  const run = await runNodeScript(fileURLToPath(new URL('./forwarder-rate.mjs', import.meta.url)), {
    args: [mode],
    env: {
      PATH: process.env.PATH,
      BROKERS: brokers.join(','),
      TOPIC: topic,
      DSN: dsn,
      N: String(N),
      IN_FLIGHT: String(IN_FLIGHT),
    },
    timeoutMs: 240_000,
  });
  if (run.code !== 0) throw new Error(`${name} failed: ${run.stderr.slice(-2000)}`);
  const { rate, peakRssMb } = JSON.parse(run.stdout.trim().split('\n').at(-1) as string);
  const entry = results[name] ?? { rate: [], peakRssMb: 0 };
  entry.rate.push(rate);
  entry.peakRssMb = Math.max(entry.peakRssMb, peakRssMb);
  results[name] = entry;
}

const options = { iterations: 3, warmupIterations: 0, warmupTime: 0, time: 0 };
for (const delayMs of [0, 20, 50]) {
  describe(`${N} envelopes, ingest answering after ${delayMs} ms, ${IN_FLIGHT} in flight`, () => {
    bench(
      `baseline: raw KafkaJS + keep-alive POST loop (${delayMs} ms)`,
      async () => {
        await configureIngest({ delayMs, failRate: 0 });
        await measure(`baseline ${delayMs} ms`, 'baseline');
      },
      options,
    );
    bench(
      `createForwarder (${delayMs} ms)`,
      async () => {
        await configureIngest({ delayMs, failRate: 0 });
        await measure(`forwarder ${delayMs} ms`, 'forwarder');
      },
      options,
    );
  });
}
describe(`${N} envelopes, ingest answering after 50 ms, 5% of answers 503`, () => {
  bench(
    'createForwarder (50 ms, 5% 503)',
    async () => {
      await configureIngest({ delayMs: 50, failRate: 0.05 });
      await measure('forwarder 50 ms, 5% 503', 'forwarder');
    },
    options,
  );
});

afterAll(async () => {
  const best = (name: string) => Math.max(...(results[name]?.rate ?? [0]));
  const rss = (name: string) => results[name]?.peakRssMb.toFixed(0);
  const lines = [
    '',
    'forwarder throughput (each run a process of its own; best of 3; envelopes/s from the first delivery to the last; peak RSS of that process):',
  ];
  for (const delayMs of [0, 20, 50]) {
    const base = best(`baseline ${delayMs} ms`);
    const fwd = best(`forwarder ${delayMs} ms`);
    lines.push(
      `  ${String(delayMs).padStart(2)} ms: baseline ${base.toFixed(0).padStart(6)}/s  forwarder ${fwd.toFixed(0).padStart(6)}/s  = ${(fwd / base).toFixed(2)} of baseline (aim 0.8)  peak RSS ${rss(`forwarder ${delayMs} ms`)} MB (baseline ${rss(`baseline ${delayMs} ms`)} MB)`,
    );
  }
  const faulty = best('forwarder 50 ms, 5% 503');
  lines.push(
    `  50 ms with 5% 503: forwarder ${faulty.toFixed(0)}/s, peak RSS ${rss('forwarder 50 ms, 5% 503')} MB = ${(faulty / best('forwarder 50 ms')).toFixed(2)} of the healthy figure (aim 0.6); aim at 50 ms healthy: 2,000/s`,
  );

  // Latency at a steady load: 200 envelopes per second for 5 seconds, ingest at 50 ms.
  await configureIngest({ delayMs: 50, failRate: 0, reset: true });
  const latencyTopic = uniqueName('bench-latency');
  await produce(brokers, latencyTopic, []);
  const instance = createForwarder({
    brokers,
    topic: latencyTopic,
    groupId: uniqueName('latency'),
    allowedDsns: [dsn],
    logger: silentLogger,
  });
  await instance.start();
  const producer = kafka.producer();
  await producer.connect();
  const sentAt = new Map<string, number>();
  for (let i = 0; i < 1000; i++) {
    const id = `${(100_000 + i).toString(16).padStart(8, '0')}${'a'.repeat(24)}`;
    sentAt.set(id, Date.now());
    await producer.send({ topic: latencyTopic, messages: [{ value: envelopeBytes(dsn, 100_000 + i) }] });
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const arrivals = await waitUntil(
    async () => {
      const stats = (await (await fetch(`http://127.0.0.1:${ingestPort}/stats`)).json()) as {
        arrivals: Record<string, number>;
      };
      return Object.keys(stats.arrivals).length >= 1000 ? stats.arrivals : undefined;
    },
    { what: '1000 arrivals', timeoutMs: 60_000, intervalMs: 200 },
  );
  const latencies = [...sentAt].map(([id, t]) => (arrivals[id] ?? t) - t).sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  lines.push(
    `  delivery latency, ~150 envelopes/s, ingest at 50 ms (produce to arrival, 1000 envelopes): p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${latencies.at(-1)} ms`,
  );
  console.log(lines.join('\n'));
  await producer.disconnect();
  await instance.stop();
  ingestProcess.kill();
  await broker.destroy();
}, 300_000);
