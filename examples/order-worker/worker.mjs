// Publishes a few orders and processes them: one is malformed and ends in orders.dead-letter
// after three attempts; the others are processed in traces that continue the publisher's.
// Needs a broker: KAFKA_BROKERS=127.0.0.1:9092 (default).
import { instrumentConsumer, instrumentProducer } from '@faultline/core/kafkajs';
import * as Sentry from '@sentry/node';
import { Kafka, logLevel } from 'kafkajs';

const kafka = new Kafka({
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  logLevel: logLevel.WARN,
});
const topic = process.env.ORDERS_TOPIC ?? 'orders';
const admin = kafka.admin();
await admin.connect();
// Subscribing to a topic that does not exist yet fails in KafkaJS. Its retry and dead-letter
// topics are created by subscribe() below (the policy's admin).
await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
const producer = instrumentProducer(kafka.producer());
await producer.connect();

const consumer = instrumentConsumer(kafka.consumer({ groupId: 'order-worker' }), {
  groupId: 'order-worker',
  // orders.retry, 1 s apart, then orders.dead-letter after the third attempt.
  onFailure: { type: 'retry-topics', producer, admin, maxAttempts: 3, retryDelayMs: 1000 },
});
await consumer.connect();
await consumer.subscribe({ topics: [topic, `${topic}.retry`], fromBeginning: true });

let processed = 0;
await consumer.run({
  eachMessage: async ({ message }) => {
    const order = JSON.parse(String(message.value)); // the malformed order throws here
    await Sentry.startSpan({ name: 'charge', op: 'payment' }, () => new Promise((r) => setTimeout(r, 10)));
    processed++;
    console.log(`order-worker: processed order ${order.id}`);
  },
});

await Sentry.startSpan({ name: 'publish orders', op: 'function' }, () =>
  producer.send({
    topic,
    messages: [{ value: '{"id":1}' }, { value: '{"id":2' }, { value: '{"id":3}' }],
  }),
);

await new Promise((resolve) => setTimeout(resolve, Number(process.env.RUN_MS ?? 8000)));
console.log(`order-worker: ${processed} processed; the malformed one is in ${topic}.dead-letter`);
await consumer.disconnect();
await producer.disconnect();
await admin.disconnect();
