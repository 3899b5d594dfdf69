import { createServer } from 'node:http';
import * as Sentry from '@sentry/node';

const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end('{}'));
});
await new Promise((r) => sink.listen(0, '127.0.0.1', r));
Sentry.init({
  dsn: `http://k@127.0.0.1:${sink.address().port}/1`,
  tracesSampleRate: Number(process.env.RATE ?? 1),
  integrations: (a) => a.filter((i) => i.name !== 'Kafka'),
});
const { instrumentConsumer } = await import('./dist/index.js');
const handler = async ({ message }) => {
  JSON.parse(String(message.value));
};
let fn;
if (process.env.MODE === 'ours') {
  const fake = {
    run: async (cfg) => {
      fake.cfg = cfg;
    },
    on() {},
    events: {},
  };
  const c = instrumentConsumer(fake, { groupId: 'g' });
  await c.run({ eachMessage: handler });
  fn = fake.cfg.eachMessage;
} else {
  fn = (payload) =>
    Sentry.continueTrace({ sentryTrace: undefined, baggage: undefined }, () => {
      const span = Sentry.startInactiveSpan({
        name: `process ${payload.topic}`,
        attributes: {
          'sentry.op': 'queue.process',
          'sentry.kind': 'consumer',
          'messaging.system': 'kafka',
          'messaging.destination.name': payload.topic,
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.kafka.message.key': undefined,
          'messaging.kafka.message.tombstone': undefined,
          'messaging.kafka.offset': payload.message.offset,
          'sentry.origin': 'auto.queue.kafkajs.consumer',
        },
      });
      const promise = Sentry.withActiveSpan(span, () => handler(payload));
      return Promise.resolve(promise)
        .catch((e) => {
          throw e;
        })
        .finally(() => span.end());
    });
}
const N = Number(process.env.N ?? 20000);
const t = performance.now();
const c0 = process.cpuUsage();
for (let i = 0; i < N; i++) {
  const msg = {
    value: Buffer.from('{"a":1}'),
    headers: {},
    offset: String(i),
    timestamp: String(Date.now()),
  };
  await fn({ topic: 't', partition: 0, message: msg });
}
{
  const c = process.cpuUsage(c0);
  console.log(
    process.env.MODE,
    process.env.VARIANT ?? '',
    'wall',
    (((performance.now() - t) * 1000) / N).toFixed(1),
    'cpu',
    ((c.user + c.system) / N).toFixed(1),
  );
}
await Sentry.close(2000);
sink.close();
