// One measured instance in a process of its own (so runs share no heap or leftover sockets):
// consumes TOPIC from the beginning and delivers to the ingest of DSN, either with the forwarder
// (`forwarder`) or with the baseline (`baseline`: raw KafkaJS plus a keep-alive POST loop with the
// same number in flight, retrying 5xx and network errors at once). It runs until SIGTERM; the
// bench measures at the ingest. On SIGTERM it prints one JSON line: its peak RSS and, for the
// forwarder, its figures; and the CPU time it spent from its start to SIGTERM beside the
// envelopes it delivered in that time (a rate on this shared machine moves with whatever else
// runs; CPU per envelope moves much less).
import { Agent, request } from 'node:http';
import { silentLogger } from '@faultline/contract';
import { Kafka, logLevel } from 'kafkajs';
import { createForwarder } from '../dist/index.js';

const [mode] = process.argv.slice(2);
const brokers = process.env.BROKERS.split(',');
const topic = process.env.TOPIC;
const dsn = process.env.DSN;
const IN_FLIGHT = Number(process.env.IN_FLIGHT);
// GROUP shares one consumer group among instances (the scaling bench); else one of its own.
const group = process.env.GROUP ?? `${mode}-${process.pid}-${Date.now()}`;
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
let stop;
let delivered;

if (mode === 'forwarder') {
  const forwarder = createForwarder({
    brokers,
    topic,
    groupId: group,
    allowedDsns: [dsn],
    maxInFlight: IN_FLIGHT,
    logger: silentLogger,
  });
  await forwarder.start();
  delivered = () => forwarder.metrics.delivered;
  stop = async () => {
    await forwarder.stop();
    return forwarder.metrics;
  };
} else {
  const kafka = new Kafka({ brokers, clientId: 'bench-baseline', logLevel: logLevel.NOTHING });
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const url = new URL(`${new URL(dsn).origin}/api/3/envelope/`);
  const post = (body) =>
    new Promise((resolve) => {
      const req = request(
        url,
        { method: 'POST', agent, headers: { 'content-length': body.length } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(body);
    });
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let inFlight = 0;
  let accepted = 0;
  delivered = () => accepted;
  const waiting = [];
  await consumer.run({
    partitionsConsumedConcurrently: 4,
    eachBatch: async ({ batch, resolveOffset }) => {
      for (const message of batch.messages) {
        while (inFlight >= IN_FLIGHT) await new Promise((r) => waiting.push(r));
        inFlight++;
        resolveOffset(message.offset);
        const send = async () => {
          const status = await post(message.value);
          if (status === 0 || status >= 500) return send();
          accepted++;
        };
        void send().then(() => {
          inFlight--;
          waiting.shift()?.();
        });
      }
    },
  });
  stop = async () => {
    await consumer.disconnect();
    agent.destroy();
    return undefined;
  };
}
const cpuAtStart = process.cpuUsage();
process.once('SIGTERM', async () => {
  const cpu = process.cpuUsage(cpuAtStart);
  const sent = delivered();
  const figures = await stop();
  clearInterval(sampler);
  console.log(JSON.stringify({ peakRssMb: peak / 1024 / 1024, figures, cpuUs: cpu.user + cpu.system, sent }));
  process.exit(0);
});
console.log('running');
