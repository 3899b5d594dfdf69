import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  type FaultIngestStats,
  hostileMessages,
  type IngestFault,
  type KafkaBroker,
  startFaultIngest,
  startKafka,
  uniqueName,
  waitUntil,
} from '@faultline/testkit';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, bench, describe } from 'vitest';
import { envelopeBytes, produce } from '../test/helpers.js';

// The forwarder's rate under the faults a real ingest produces, each beside the healthy rate
// measured in the same run: the real broker (4 partitions), 256 in flight, the fault server in a
// process of its own answering successes after a 50 ms round trip (Sentry's ingest is typically
// 20-150 ms from a data centre), and each forwarder in a process of its own. Rates are measured at
// the ingest: distinct events first accepted, from the first to the last. Every line also says
// what was delivered twice and what was lost (never accepted within the run's bound).
const IN_FLIGHT = 256;
const DELAY_MS = 50;
const N = 20_000;
const broker: KafkaBroker = await startKafka({ partitions: 4 });
const brokers = broker.brokers;
const ingest = await startFaultIngest();
const dsn = ingest.dsn(3);
const topic = uniqueName('bench-envelopes');
const LONG_N = 40_000;
await produce(
  brokers,
  topic,
  Array.from({ length: LONG_N }, (_, i) => envelopeBytes(dsn, i)),
  4,
);

interface Run {
  stats: FaultIngestStats;
  rate: number;
  peakRssMb: number;
  /** The forwarder's own figures at its stop. */
  figures?: { deadLettered?: Record<string, number> };
  /** CPU time of the measured process from its start to its stop, and what it delivered meanwhile. */
  cpuUs: number;
  sent: number;
  lost: number;
  seconds: number;
}
const results: Record<string, Run[]> = {};

/**
 * Delivers the first `n` envelopes of the topic (of `topicName`) with `mode` in a child process
 * while the ingest applies `faults`; stops once `n` distinct events arrived or after `boundMs`.
 */
async function measure(
  name: string,
  mode: 'forwarder' | 'baseline',
  settings: { faults?: IngestFault[]; delayMs?: number; n?: number; topicName?: string; boundMs?: number },
) {
  const n = settings.n ?? N;
  await ingest.configure({ delayMs: settings.delayMs ?? DELAY_MS, faults: settings.faults ?? [] });
  const started = Date.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [fileURLToPath(new URL('./forwarder-rate.mjs', import.meta.url)), mode],
    {
      env: {
        PATH: process.env.PATH,
        BROKERS: brokers.join(','),
        TOPIC: settings.topicName ?? topic,
        DSN: dsn,
        IN_FLIGHT: String(IN_FLIGHT),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    out += text;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stats = await waitUntil(
    async () => {
      const s = await ingest.stats();
      return s.unique >= n || Date.now() - started > (settings.boundMs ?? 120_000) ? s : undefined;
    },
    { what: `${n} deliveries (${name})`, timeoutMs: (settings.boundMs ?? 120_000) + 10_000, intervalMs: 250 },
  );
  child.kill('SIGTERM');
  await exited;
  const { peakRssMb, figures, cpuUs, sent } = JSON.parse(out.trim().split('\n').at(-1) as string);
  const span = ((stats.lastNewAt ?? 0) - (stats.firstAcceptAt ?? 0)) / 1000;
  const run: Run = {
    stats,
    rate: span > 0 ? (stats.unique - 1) / span : 0,
    peakRssMb,
    figures,
    cpuUs,
    sent,
    lost: n - Math.min(n, stats.unique),
    seconds: (Date.now() - started) / 1000,
  };
  results[name] = [...(results[name] ?? []), run];
  return run;
}

/** From `from` (ms), when 300 ms of acceptances first ran at `rate` or more (ms after `from`). */
function recoveredAfter(timeline: number[], from: number, rate: number): number | undefined {
  for (let b = Math.floor(from / 100); b + 3 <= timeline.length; b++) {
    const sum = (timeline[b] ?? 0) + (timeline[b + 1] ?? 0) + (timeline[b + 2] ?? 0);
    if (sum / 0.3 >= rate) return (b + 3) * 100 - from;
  }
  return undefined;
}

const once = { iterations: 1, warmupIterations: 0, warmupTime: 0, time: 0 };
const twice = { ...once, iterations: 2 };
// The short models run twice, as the healthy one does, so that each ratio compares best with best.
const MODELS: { name: string; faults: IngestFault[]; n?: number; aim: string; runs?: number }[] = [
  {
    name: '5% 503, answered at once',
    faults: [{ kind: 'status', status: 503, rate: 0.05 }],
    runs: 2,
    aim: '0.76',
  },
  {
    name: '5% 503, answered after the round trip',
    faults: [{ kind: 'status', status: 503, rate: 0.05, after: 'delay' }],
    aim: '0.76',
    runs: 2,
  },
  {
    name: '503 for 2 s of every 10 s, at once',
    faults: [{ kind: 'status', status: 503, storm: { everyMs: 10_000, forMs: 2000, offsetMs: 3000 } }],
    n: LONG_N,
    aim: '0.48',
  },
  { name: '5% never answered', faults: [{ kind: 'hang', rate: 0.05 }], runs: 2, aim: '0.665' },
  {
    name: '5% of connections reset mid-request',
    faults: [{ kind: 'reset', rate: 0.05 }],
    runs: 2,
    aim: '0.665',
  },
  { name: 'ingest down 30 s, then back', faults: [{ kind: 'down', afterMs: 3000, forMs: 30_000 }], aim: '-' },
];

describe(`fault matrix: ${N} envelopes, ingest at ${DELAY_MS} ms, 4 partitions, ${IN_FLIGHT} in flight`, () => {
  bench(
    'baseline: raw KafkaJS + keep-alive POST loop, healthy',
    () => measure('baseline', 'baseline', {}).then(() => undefined),
    twice,
  );
  bench('forwarder, healthy', () => measure('healthy', 'forwarder', {}).then(() => undefined), twice);
  for (const model of MODELS) {
    bench(
      `forwarder, ${model.name}`,
      () => measure(model.name, 'forwarder', { faults: model.faults, n: model.n }).then(() => undefined),
      model.runs === 2 ? twice : once,
    );
  }
});

const LIMITED_N = 2000;
const limitedTopic = uniqueName('bench-429');
await produce(
  brokers,
  limitedTopic,
  Array.from({ length: LIMITED_N }, (_, i) => envelopeBytes(dsn, i)),
  4,
);
describe('rate-limit compliance: 1% of answers 429 with Retry-After: 1', () => {
  bench(
    'forwarder, 1% 429',
    () =>
      measure('1% 429', 'forwarder', {
        faults: [
          { kind: 'status', status: 429, rate: 0.01, after: 'delay', headers: { 'retry-after': '1' } },
        ],
        n: LIMITED_N,
        topicName: limitedTopic,
      }).then(() => undefined),
    once,
  );
});

// Hostile input mixed in: one message in a hundred from the crafted set of issue 22 (a header
// nested 100,000 deep, junk, a null payload, 5 MB that gzip makes small, timestamps 0 and 1e12),
// beside the same topic all clean. Both topics gzip-compressed, as the Kafka transport writes.
const MIXED_N = 20_000;
const cleanTopic = uniqueName('bench-clean');
const mixedTopic = uniqueName('bench-mixed');
const crafted = hostileMessages(dsn);
async function produceGzip(name: string, hostileEvery: number | undefined): Promise<number> {
  await produce(brokers, name, [], 4);
  const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  let good = 0;
  for (let from = 0; from < MIXED_N; from += 500) {
    const messages = [];
    for (let i = from; i < from + 500; i++) {
      const hostile = hostileEvery !== undefined && i % hostileEvery === hostileEvery / 2;
      if (!hostile) good++;
      messages.push({
        key: String(i),
        value: hostile
          ? (crafted[((i / hostileEvery) % crafted.length) | 0] as (typeof crafted)[number]).value
          : envelopeBytes(dsn, i),
      });
    }
    await producer.send({ topic: name, compression: CompressionTypes.GZIP, messages });
  }
  await producer.disconnect();
  return good;
}
const cleanGood = await produceGzip(cleanTopic, undefined);
const mixedGood = await produceGzip(mixedTopic, 100);
describe('1% hostile messages mixed in (gzip topics)', () => {
  bench(
    'forwarder, clean',
    () => measure('clean', 'forwarder', { n: cleanGood, topicName: cleanTopic }).then(() => undefined),
    twice,
  );
  bench(
    'forwarder, 1% hostile',
    () => measure('1% hostile', 'forwarder', { n: mixedGood, topicName: mixedTopic }).then(() => undefined),
    twice,
  );
});

describe('local ingest (CPU-bound), healthy', () => {
  bench(
    'baseline, 0 ms',
    () => measure('baseline 0 ms', 'baseline', { delayMs: 0 }).then(() => undefined),
    twice,
  );
  bench(
    'forwarder, 0 ms',
    () => measure('healthy 0 ms', 'forwarder', { delayMs: 0 }).then(() => undefined),
    twice,
  );
});

afterAll(async () => {
  const best = (name: string) =>
    (results[name] ?? []).reduce<Run | undefined>((a, r) => (!a || r.rate > a.rate ? r : a), undefined);
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const base = best('baseline');
  const healthy = best('healthy');
  const h = healthy?.rate ?? 0;
  const lines = [
    '',
    `forwarder fault matrix (ingest at ${DELAY_MS} ms, 4 partitions, ${IN_FLIGHT} in flight; each run a process of its own; distinct events/s at the ingest, first to last; best of 2 but for the storm and the outage):`,
    `  baseline (raw KafkaJS + POST loop): ${fmt(base?.rate ?? 0)}/s`,
    `  healthy: ${fmt(h)}/s = ${(h / (base?.rate ?? 1)).toFixed(2)} of baseline (aim >= 2,000/s and >= 0.8), peak RSS ${healthy?.peakRssMb.toFixed(0)} MB, duplicates ${healthy?.stats.duplicates}, lost ${healthy?.lost}`,
  ];
  for (const model of MODELS) {
    const run = best(model.name);
    if (!run) continue;
    let extra = '';
    if (run.stats.storms.length > 0) {
      const ends = run.stats.storms
        .filter(([, end]) => end < (run.stats.lastNewAt ?? 0) - 300)
        .map(([, end]) => recoveredAfter(run.stats.timeline, end, 0.8 * h));
      extra = `; back to 0.8 of healthy ${ends.map((ms) => (ms === undefined ? 'never' : `${ms} ms`)).join(', ')} after each storm's end (aim <= 1,000 ms)`;
    }
    if (run.stats.down.length > 0) {
      const back = run.stats.down[0]?.[1] ?? 0;
      const ms = recoveredAfter(run.stats.timeline, back, 0.8 * h);
      const rateAfter =
        ((run.stats.unique - run.stats.timeline.slice(0, Math.floor(back / 100)).reduce((a, b) => a + b, 0)) *
          1000) /
        Math.max(1, (run.stats.lastNewAt ?? 0) - back);
      extra = `; at 0.8 of healthy ${ms === undefined ? 'never' : `${ms} ms`} after its return (aim <= 2,000 ms), ${fmt(rateAfter)}/s from its return to the last`;
    }
    const ratio = run.rate / (h || 1);
    lines.push(
      `  ${model.name}: ${fmt(run.rate)}/s = ${ratio.toFixed(2)} of healthy (aim >= ${model.aim})${extra}; requests ${fmt(run.stats.requests)} ${JSON.stringify(run.stats.byOutcome)}, duplicates ${run.stats.duplicates}, lost ${run.lost}`,
    );
  }
  const limited = best('1% 429');
  if (limited) {
    lines.push(
      `  1% 429 with Retry-After: 1 (${LIMITED_N} envelopes): ${limited.stats.rateLimits.answered} 429s answered, ${limited.stats.rateLimits.violations} requests inside a limit's window on its connection and ${limited.stats.rateLimits.late} on others over 200 ms after it (aim 0), ${fmt(limited.rate)}/s, duplicates ${limited.stats.duplicates}, lost ${limited.lost}`,
    );
  }
  const clean = best('clean');
  const mixed = best('1% hostile');
  if (clean && mixed) {
    lines.push(
      `  1% hostile mixed in (${MIXED_N} messages, gzip): clean ${fmt(clean.rate)}/s, with 1% hostile ${fmt(mixed.rate)}/s = ${(mixed.rate / clean.rate).toFixed(2)} of clean (aim >= 0.9); dead-lettered ${JSON.stringify(mixed.figures?.deadLettered ?? {})}, good events lost ${mixed.lost}`,
    );
  }
  const b0 = best('baseline 0 ms');
  const f0 = best('healthy 0 ms');
  // CPU per envelope, the lowest of each side's runs: a rate here also measures what the broker
  // and the ingest, on the same 2 cores, took from the process.
  const cpuPer = (name: string) =>
    Math.min(...(results[name] ?? []).map((r) => (r.sent > 0 ? r.cpuUs / r.sent : Number.POSITIVE_INFINITY)));
  const b0cpu = cpuPer('baseline 0 ms');
  const f0cpu = cpuPer('healthy 0 ms');
  lines.push(
    `  local ingest (0 ms, CPU-bound): baseline ${fmt(b0?.rate ?? 0)}/s, forwarder ${fmt(f0?.rate ?? 0)}/s = ${((f0?.rate ?? 0) / (b0?.rate ?? 1)).toFixed(2)} of baseline; CPU an envelope: baseline ${b0cpu.toFixed(1)} µs, forwarder ${f0cpu.toFixed(1)} µs = ${(b0cpu / f0cpu).toFixed(2)} of the baseline's efficiency`,
  );

  console.log(lines.join('\n'));
  await ingest.close();
  await broker.destroy();
}, 300_000);
