// Messages per second consumed in one configuration, in a process of its own (the SDK and its
// module hooks are process-global). MODE: raw (no Sentry), sdk (Sentry initialised, its kafkajs
// integration removed, the consumer not instrumented: what the SDK's presence alone costs),
// context (as sdk, the whole consumer run inside one Sentry.withIsolationScope: what the async
// context costs on this Node once any scope was entered, as in any service Sentry instruments,
// without a scope per message), isolation (as sdk, each message run in Sentry.withIsolationScope
// and nothing else: the floor for any instrumentation that gives each message its own scope),
// wrapper (as sdk, the consumer wrapped by instrumentConsumer: the instrumentation alone),
// faultline (as a service runs Faultline: initObservability, whose integrations leave Sentry's
// kafkajs one out, and instrumentConsumer), sentry (Sentry.init with Sentry's own kafkajs
// integration, no wrapper). RATE: the traces sample rate. Spans go to a transport that
// counts what it is given and accepts it at once, as capture.bench's does: an HTTP endpoint in this
// process answered late while the consumer held the loop, and the SDK's transport buffer then
// dropped most spans (queue_overflow), a different share in each mode.
const { MODE, RATE, BROKERS, TOPIC, COUNT } = process.env;
const total = Number(COUNT);

const dsn = 'http://k@127.0.0.1:9/1';
// Http is left out in every mode, as the bench makes no HTTP calls.
const integrations = (all) =>
  all.filter((i) => i.name !== 'Http' && (MODE === 'sentry' || i.name !== 'Kafka'));
// Spans as well as envelopes: SDK 11 may carry many spans in one envelope (a span container's
// item_count), so envelopes alone do not say whether two modes traced the same messages.
const sent = { envelopes: 0, bytes: 0, spans: 0, transactions: 0, traces: 0 };
const traces = new Set();
let Sentry;
let handle;
if (MODE !== 'raw') Sentry = await import('@sentry/node');
const { parseEnvelope } = MODE === 'raw' ? {} : await import('@sentry/core');
const transport = (options) =>
  Sentry.createTransport(options, (request) => {
    sent.envelopes++;
    sent.bytes += request.body.length;
    const body = typeof request.body === 'string' ? new TextEncoder().encode(request.body) : request.body;
    for (const [header, payload] of parseEnvelope(body)[1]) {
      if (header.type === 'transaction') sent.transactions++;
      if (header.type === 'transaction') sent.spans += 1 + (payload.spans?.length ?? 0);
      if (header.type === 'span') sent.spans += header.item_count ?? payload.items?.length ?? 1;
      for (const span of payload.items ?? []) traces.add(span.trace_id);
      if (payload.contexts?.trace?.trace_id) traces.add(payload.contexts.trace.trace_id);
    }
    return Promise.resolve({ statusCode: 200 });
  });
if (MODE === 'faultline') {
  const { initObservability } = await import('../../core/dist/index.js');
  handle = initObservability({
    dsn,
    service: 'bench',
    tracesSampleRate: Number(RATE),
    handleSignals: false,
    sentry: { integrations, transport },
  });
} else if (MODE !== 'raw') {
  Sentry.init({ dsn, tracesSampleRate: Number(RATE), integrations, transport });
}
// Loaded after Sentry.init, so Sentry's module hooks see kafkajs in the `sentry` mode.
const { Kafka, logLevel } = await import('kafkajs');
const { instrumentConsumer } = await import('../dist/index.js');

const groupId = `rate-${MODE}-${RATE}-${Date.now()}`;
const kafka = new Kafka({ brokers: JSON.parse(BROKERS), logLevel: logLevel.NOTHING });
let consumer = kafka.consumer({ groupId, maxBytesPerPartition: 4 * 1024 * 1024 });
if (MODE === 'faultline' || MODE === 'wrapper') consumer = instrumentConsumer(consumer, { groupId });
await consumer.connect();
await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
// PROFILE_DIR: write a CPU profile of the consumption there (for finding where the time goes).
const profiler = process.env.PROFILE_DIR ? await startProfiler() : undefined;
const wrap = (handler) =>
  MODE === 'isolation' ? (payload) => Sentry.withIsolationScope(() => handler(payload)) : handler;
let seen = 0;
let started = 0;
const done = new Promise((resolve) => {
  const run = () =>
    consumer.run({
      eachMessage: wrap(async ({ message }) => {
        if (seen === 0) started = performance.now();
        // A little work per message, as a handler would do.
        JSON.parse(String(message.value));
        if (++seen === total) resolve();
      }),
    });
  if (MODE === 'context') Sentry.withIsolationScope(run);
  else run();
});
await done;
const seconds = (performance.now() - started) / 1000;
await profiler?.stop(`${process.env.PROFILE_DIR}/${MODE}-${RATE}.cpuprofile`);
await consumer.disconnect();
await (handle ?? Sentry)?.close(2000);
sent.traces = traces.size;
console.log(
  JSON.stringify({
    mode: MODE,
    rate: Number(RATE),
    messages: total,
    perSecond: Math.round(total / seconds),
    sent,
  }),
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
