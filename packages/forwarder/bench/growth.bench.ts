import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type KafkaBroker, startFaultIngest, startKafka, uniqueName, waitUntil } from '@faultline/testkit';
import { afterAll, bench, describe } from 'vitest';
import { envelopeBytes, produce } from '../test/helpers.js';

// Growth: the forwarder with 1, 2 and 3 instances in one consumer group, at an ingest 50 ms away
// (the fault server answering every request after 50 ms), 4 partitions, each instance in a
// process of its own with 32 requests in flight: one instance is then bound by latency (32 /
// 50 ms = 640/s at most), so instances should add up until the 2 cores are busy. The rate is
// measured at the ingest over the steady part of each run (from 20% to 90% of the envelopes
// first accepted), so the group's joins and rebalances at start are left out. 1 instance is the
// baseline the others are compared with.
const IN_FLIGHT = 32;
const DELAY_MS = 50;
const N = 12_000;
const broker: KafkaBroker = await startKafka({ partitions: 4 });
const ingest = await startFaultIngest();
const dsn = ingest.dsn(3);
const topic = uniqueName('bench-growth-envelopes');
await produce(
  broker.brokers,
  topic,
  Array.from({ length: N }, (_, i) => envelopeBytes(dsn, i)),
  4,
);

const results: Record<number, { rate: number; duplicates: number; lost: number }[]> = {};

/** From the timeline of first acceptances (per 100 ms): the rate between 20% and 90% of `n`. */
function steadyRate(timeline: number[], n: number): number {
  let seen = 0;
  let from: number | undefined;
  for (let bucket = 0; bucket < timeline.length; bucket++) {
    seen += timeline[bucket] ?? 0;
    if (from === undefined && seen >= 0.2 * n) from = bucket + 1;
    if (seen >= 0.9 * n && from !== undefined) {
      const counted = timeline.slice(from, bucket + 1).reduce((a, b) => a + b, 0);
      return counted / (((bucket + 1 - from) * 100) / 1000);
    }
  }
  return 0;
}

async function measure(instances: number): Promise<void> {
  await ingest.configure({ delayMs: DELAY_MS, faults: [] });
  const group = uniqueName('bench-growth-group');
  const children: ChildProcess[] = Array.from({ length: instances }, () =>
    spawn(process.execPath, [fileURLToPath(new URL('./forwarder-rate.mjs', import.meta.url)), 'forwarder'], {
      env: {
        PATH: process.env.PATH,
        BROKERS: broker.brokers.join(','),
        TOPIC: topic,
        DSN: dsn,
        IN_FLIGHT: String(IN_FLIGHT),
        GROUP: group,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  const exited = children.map((child) => new Promise((resolve) => child.once('exit', resolve)));
  const started = Date.now();
  const stats = await waitUntil(
    async () => {
      const s = await ingest.stats();
      return s.unique >= N || Date.now() - started > 180_000 ? s : undefined;
    },
    { what: `${N} deliveries with ${instances} instances`, timeoutMs: 190_000, intervalMs: 250 },
  );
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(exited);
  results[instances] = [
    ...(results[instances] ?? []),
    {
      rate: steadyRate(stats.timeline, N),
      duplicates: stats.duplicates,
      lost: N - Math.min(N, stats.unique),
    },
  ];
}

const once = { iterations: 1, warmupIterations: 0, warmupTime: 0, time: 0 };
describe(`growth: forwarder instances in one group, ingest at ${DELAY_MS} ms, ${IN_FLIGHT} in flight each`, () => {
  bench('baseline: 1 instance', () => measure(1), once);
  bench('2 instances', () => measure(2), once);
  bench('3 instances', () => measure(3), once);
});

afterAll(async () => {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const one = results[1]?.[0]?.rate ?? 0;
  const lines = [1, 2, 3].map((k) => {
    const r = results[k]?.[0];
    if (!r) return `${k}: missing`;
    return `${k} instance${k > 1 ? 's' : ''}: ${fmt(r.rate)}/s steady = ${(r.rate / (one || 1)).toFixed(2)}x one instance (latency bound ${fmt((k * IN_FLIGHT * 1000) / DELAY_MS)}/s), duplicates ${r.duplicates}, lost ${r.lost}`;
  });
  console.log(
    `growth: forwarder instances in one group (${N} envelopes, 4 partitions):\n  ${lines.join('\n  ')}`,
  );
  await ingest.close();
  await broker.destroy();
}, 120_000);
