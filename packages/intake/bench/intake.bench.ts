import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTopic, type KafkaBroker, startKafka, uniqueName } from '@faultline/testkit';
import { afterAll, bench, describe } from 'vitest';

// The intake beside its baseline in the same run: a minimal node:http server that parses the
// envelope header and produces the bytes with KafkaJS (acks from all replicas, the same 2 ms
// batching), with none of the intake's work (auth, decompression bounds, item checks, quotas,
// scrubbing, the spool path, metrics). Each server runs in a process of its own, the load
// generator in another, against a real broker (4 partitions). Peak: 64 requests in flight for
// 5 s. Latency: an open loop at half the peak rate that server reached.
const SECONDS = 5;
const broker: KafkaBroker = await startKafka({ partitions: 4 });
const KEY = '0123456789abcdef0123456789abcdef';
const DSN = `https://${KEY}@o1.ingest.example.com/7`;
const rows: Record<string, Record<string, number>> = {};

function child(
  script: string,
  args: string[],
  env: Record<string, string>,
): { process: ChildProcess; lines: Promise<string>[] } {
  const proc = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const resolvers: Array<(line: string) => void> = [];
  const lines = Array.from({ length: 2 }, () => new Promise<string>((resolve) => resolvers.push(resolve)));
  let buffer = '';
  proc.stdout?.setEncoding('utf8').on('data', (text: string) => {
    buffer += text;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      resolvers.shift()?.(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
    }
  });
  return { process: proc, lines };
}

async function load(env: Record<string, string>): Promise<Record<string, number>> {
  const generator = child('./load.mjs', [], { SECONDS: String(SECONDS), CONNECTIONS: '64', ...env });
  return JSON.parse(await (generator.lines[0] as Promise<string>));
}

async function measure(mode: 'intake' | 'baseline', size: number): Promise<void> {
  const topic = uniqueName(`bench-intake-${mode}`);
  await createTopic(broker.brokers, topic, 4);
  const server = child('./intake-server.mjs', [mode], {
    BROKERS: broker.brokers.join(','),
    TOPIC: topic,
    DSN,
  });
  const { port } = JSON.parse(await (server.lines[0] as Promise<string>));
  const url = `http://127.0.0.1:${port}/api/7/envelope/?sentry_key=${KEY}`;
  await load({ URL: url, SIZE: String(size), MODE: 'peak', SECONDS: '1' }); // warm-up
  const peak = await load({ URL: url, SIZE: String(size), MODE: 'peak' });
  const latency = await load({
    URL: url,
    SIZE: String(size),
    MODE: 'rate',
    RATE: String(Math.round((peak.rate ?? 0) / 2)),
  });
  server.process.kill('SIGTERM');
  const { peakRssMb } = JSON.parse(await (server.lines[1] as Promise<string>));
  rows[`${mode}, ${size / 1000} KB`] = {
    'envelopes/s': Math.round(peak.rate ?? 0),
    'refused or failed': (peak.failed ?? 0) + (latency.failed ?? 0),
    'p50 ms at half peak': Number((latency.p50 ?? 0).toFixed(1)),
    'p99 ms at half peak': Number((latency.p99 ?? 0).toFixed(1)),
    'peak RSS MB': peakRssMb,
  };
}

const once = { iterations: 1, warmupIterations: 0, warmupTime: 0, time: 0 };
describe(`intake vs a minimal node:http + KafkaJS server (${SECONDS} s at 64 in flight, then half that rate)`, () => {
  for (const size of [1000, 20_000]) {
    bench(`baseline, ${size / 1000} KB envelopes`, () => measure('baseline', size), once);
    bench(`intake, ${size / 1000} KB envelopes`, () => measure('intake', size), once);
  }
});

afterAll(async () => {
  console.table(rows);
  for (const size of [1, 20]) {
    const intake = rows[`intake, ${size} KB`]?.['envelopes/s'] ?? 0;
    const baseline = rows[`baseline, ${size} KB`]?.['envelopes/s'] ?? 1;
    console.log(`intake at ${size} KB: ${(intake / baseline).toFixed(2)}x the baseline's rate (aim >= 0.7)`);
  }
  await broker.destroy();
});
