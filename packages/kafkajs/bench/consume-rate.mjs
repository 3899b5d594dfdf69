// Messages per second consumed in one configuration, in a process of its own (the SDK and its
// module hooks are process-global). MODE: raw (no Sentry), sdk (Sentry initialised, its kafkajs
// integration removed, the consumer not instrumented: what the SDK's presence alone costs),
// isolation (as sdk, each message run in Sentry.withIsolationScope and nothing else: the floor for
// any instrumentation that gives each message its own scope),
// faultline (instrumentConsumer, Sentry's kafkajs integration removed), sentry (Sentry's own
// kafkajs integration, no wrapper). RATE: the
// traces sample rate. Spans go to a local endpoint in this process that accepts and discards.
import { createServer } from 'node:http';

const { MODE, RATE, BROKERS, TOPIC, COUNT } = process.env;
const total = Number(COUNT);
const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end('{}'));
});
await new Promise((resolve) => sink.listen(0, '127.0.0.1', resolve));

let Sentry;
if (MODE !== 'raw') {
  Sentry = await import('@sentry/node');
  Sentry.init({
    dsn: `http://k@127.0.0.1:${sink.address().port}/1`,
    tracesSampleRate: Number(RATE),
    // Http is left out in every mode: the sink serves in this process, and a server span for
    // each envelope it receives would be sent to it in turn.
    integrations: (all) => all.filter((i) => i.name !== 'Http' && (MODE === 'sentry' || i.name !== 'Kafka')),
  });
}
// Loaded after Sentry.init, so Sentry's module hooks see kafkajs in the `sentry` mode.
const { Kafka, logLevel } = await import('kafkajs');
const { instrumentConsumer } = await import('../dist/index.js');

const groupId = `rate-${MODE}-${RATE}-${Date.now()}`;
const kafka = new Kafka({ brokers: JSON.parse(BROKERS), logLevel: logLevel.NOTHING });
let consumer = kafka.consumer({ groupId, maxBytesPerPartition: 4 * 1024 * 1024 });
if (MODE === 'faultline') consumer = instrumentConsumer(consumer, { groupId });
await consumer.connect();
await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
// PROFILE_DIR: write a CPU profile of the consumption there (for finding where the time goes).
const profiler = process.env.PROFILE_DIR ? await startProfiler() : undefined;
const wrap = (handler) =>
  MODE === 'isolation' ? (payload) => Sentry.withIsolationScope(() => handler(payload)) : handler;
let seen = 0;
let started = 0;
const done = new Promise((resolve) => {
  consumer.run({
    eachMessage: wrap(async ({ message }) => {
      if (seen === 0) started = performance.now();
      // A little work per message, as a handler would do.
      JSON.parse(String(message.value));
      if (++seen === total) resolve();
    }),
  });
});
await done;
const seconds = (performance.now() - started) / 1000;
await profiler?.stop(`${process.env.PROFILE_DIR}/${MODE}-${RATE}.cpuprofile`);
await consumer.disconnect();
await Sentry?.close(2000);
sink.close();
console.log(
  JSON.stringify({ mode: MODE, rate: Number(RATE), messages: total, perSecond: Math.round(total / seconds) }),
);

async function startProfiler() {
  const { Session } = await import('node:inspector/promises');
  const { mkdir, writeFile } = await import('node:fs/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      await mkdir(process.env.PROFILE_DIR, { recursive: true });
      await writeFile(file, JSON.stringify(profile));
    },
  };
}
