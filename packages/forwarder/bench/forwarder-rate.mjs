// One measured run in a process of its own (so runs do not share a heap or leftover sockets):
// consumes TOPIC from the beginning and delivers N envelopes to the ingest at INGEST_URL, either
// with the forwarder (`forwarder`) or with the baseline (`baseline`: raw KafkaJS plus a keep-alive
// POST loop with the same number in flight). Prints one JSON line: the steady rate (first
// delivery to last, so group joins and connection set-up are left out on both sides) and the
// peak RSS of this process.
import { Agent, request } from 'node:http';
import { silentLogger } from '@faultline/contract';
import { Kafka, logLevel } from 'kafkajs';
import { createForwarder } from '../dist/index.js';

const [mode] = process.argv.slice(2);
const brokers = process.env.BROKERS.split(',');
const topic = process.env.TOPIC;
const dsn = process.env.DSN;
const N = Number(process.env.N);
const IN_FLIGHT = Number(process.env.IN_FLIGHT);
const group = `${mode}-${process.pid}-${Date.now()}`;
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let first = 0;
let last = 0;

if (mode === 'forwarder') {
  const forwarder = createForwarder({
    brokers,
    topic,
    groupId: group,
    allowedDsns: [dsn],
    maxInFlight: IN_FLIGHT,
    retryBackoff: { initialMs: 100, maxMs: 2000 },
    logger: silentLogger,
  });
  await forwarder.start();
  // Polled every 5 ms (an error of at most 0.2% on a run of a few seconds): a tighter poll would
  // charge the forwarder's process for wake-ups the baseline does not have.
  while (forwarder.metrics.delivered < 1) await sleep(5);
  first = performance.now();
  while (forwarder.metrics.delivered < N) await sleep(5);
  last = performance.now();
  await forwarder.stop();
} else {
  const kafka = new Kafka({ brokers, clientId: 'bench-baseline', logLevel: logLevel.NOTHING });
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const url = new URL(`${new URL(dsn).origin}/api/3/envelope/`);
  const post = (body) =>
    new Promise((resolve, reject) => {
      const req = request(
        url,
        { method: 'POST', agent, headers: { 'content-length': body.length } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let done = 0;
  let inFlight = 0;
  const waiting = [];
  await new Promise((resolve) => {
    void consumer.run({
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const message of batch.messages) {
          while (inFlight >= IN_FLIGHT) await new Promise((r) => waiting.push(r));
          inFlight++;
          resolveOffset(message.offset);
          const send = async () => {
            if ((await post(message.value)) >= 500) return send();
          };
          void send().then(() => {
            inFlight--;
            waiting.shift()?.();
            if (++done === 1) first = performance.now();
            if (done === N) resolve();
          });
        }
      },
    });
  });
  last = performance.now();
  await consumer.disconnect();
  agent.destroy();
}
clearInterval(sampler);
console.log(JSON.stringify({ rate: (N - 1) / ((last - first) / 1000), peakRssMb: peak / 1024 / 1024 }));
process.exit(0);
