// One measured run in a process of its own: reads N envelopes of TOPIC, either evaluating them
// with the alerts service (`alerts`: parse, observe, the three rules) or with raw KafkaJS that
// only counts them (`raw`). Prints one JSON line: the rate from the first envelope to the N-th
// (group joins left out on both sides) and the peak RSS of this process.
import { silentLogger } from '@faultline/contract';
import { Kafka, logLevel } from 'kafkajs';
import { createAlertsService } from '../dist/index.js';

const [mode] = process.argv.slice(2);
const brokers = process.env.BROKERS.split(',');
const topic = process.env.TOPIC;
const N = Number(process.env.N);
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let first = 0;
let last = 0;

if (mode === 'alerts') {
  const service = createAlertsService(
    {
      brokers,
      topic,
      groupId: `bench-alerts-${process.pid}-${Date.now()}`,
      stateTopic: `${topic}.state-${process.pid}`,
      dryRun: true,
      logger: silentLogger,
    },
    {},
  );
  await service.start();
  while (service.stats.envelopes < 1) await sleep(2);
  first = performance.now();
  while (service.stats.envelopes < N) await sleep(2);
  last = performance.now();
  await service.stop();
} else {
  const kafka = new Kafka({ brokers, clientId: 'bench-raw', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: `bench-raw-${process.pid}-${Date.now()}`,
    maxWaitTimeInMs: 500,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  await new Promise((resolve) => {
    consumer.run({
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const message of batch.messages) {
          if (count === 0) first = performance.now();
          count++;
          resolveOffset(message.offset);
          if (count === N) {
            last = performance.now();
            resolve();
          }
        }
      },
    });
  });
  await consumer.disconnect();
}
clearInterval(sampler);
console.log(JSON.stringify({ rate: (N - 1) / ((last - first) / 1000), peakRssMb: peak / 1024 / 1024 }));
process.exit(0);
