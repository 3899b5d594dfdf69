import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  createIngestDouble,
  createTopic,
  groupLag,
  type IngestDouble,
  readTopic,
  runNodeScript,
  uniqueName,
  waitUntil,
} from '@faultline/testkit';
import * as Sentry from '@sentry/node';
import { Kafka, type KafkaMessage, logLevel, type Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FAULTLINE_HEADERS, failureStats, instrumentConsumer, instrumentProducer } from '../src/index.js';

// Real broker, real SDK (spans streamed to the ingest double); assertions on what arrived.
type SpanJson = {
  trace_id: string;
  span_id: string;
  parent_span_id?: string;
  name: string;
  status?: string;
  attributes?: Record<string, { value: unknown }>;
};
let ingest: IngestDouble;
let kafka: Kafka;

beforeAll(async () => {
  ingest = await createIngestDouble();
  // Sentry's own kafkajs integration is left out: these tests are about Faultline's spans. So is
  // its Http integration: the ingest doubles serve in this process, and a server span for each
  // envelope they receive would be sent to them in turn, without end.
  Sentry.init({
    dsn: ingest.dsn(6),
    tracesSampleRate: 1,
    integrations: (all) => all.filter((i) => i.name !== 'Kafka' && i.name !== 'Http'),
  });
  kafka = new Kafka({
    brokers: inject('kafkaBrokers'),
    clientId: 'kafkajs-test',
    logLevel: logLevel.NOTHING,
  });
});
afterAll(async () => {
  await Sentry.close(2000);
  await ingest.close();
});

const attr = (span: SpanJson | undefined, key: string) => span?.attributes?.[key]?.value;
function spans(): SpanJson[] {
  return ingest.items<{ items: SpanJson[] }>('span').flatMap((container) => container.items);
}
const spansOn = (topic: string, op: string) =>
  spans().filter((s) => attr(s, 'messaging.destination.name') === topic && attr(s, 'sentry.op') === op);

/** Runs a fixture script in a process of its own, against the broker and the given DSN. */
function runFixture(name: string, dsn: string, topic: string, env: Record<string, string> = {}) {
  return runNodeScript(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), {
    env: {
      PATH: process.env.PATH,
      FIXTURE_DSN: dsn,
      FIXTURE_BROKERS: JSON.stringify(inject('kafkaBrokers')),
      FIXTURE_TOPIC: topic,
      FIXTURE_GROUP: uniqueName(name.split('.')[0] ?? 'fixture'),
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...env,
    },
    timeoutMs: 60_000,
  });
}

async function topicWith(partitions = 1): Promise<string> {
  const topic = uniqueName('orders');
  await createTopic(inject('kafkaBrokers'), topic, partitions);
  return topic;
}

describe('instrumentProducer and instrumentConsumer', () => {
  it('continue the trace from producer to consumer, with every Queues attribute', async () => {
    const topic = await topicWith();
    const groupId = uniqueName('group');
    const producer = instrumentProducer(kafka.producer());
    await producer.connect();
    const message: Message = {
      key: 'order-1',
      value: 'hello',
      headers: { tenant: 'acme', empty: undefined },
    };
    const before = JSON.stringify(message);
    await Sentry.startSpan({ name: 'checkout', op: 'http.server' }, () =>
      producer.send({ topic, messages: [message] }),
    );
    // The caller's object is unchanged: no trace headers added, the undefined header still there.
    expect(JSON.stringify(message)).toBe(before);
    expect('empty' in (message.headers ?? {})).toBe(true);

    const consumer = instrumentConsumer(kafka.consumer({ groupId }), { groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: KafkaMessage[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message: m }) => {
          received.push(m);
          resolve();
        },
      });
    });
    await consumer.disconnect();
    await producer.disconnect();
    await Sentry.flush(3000);

    await waitUntil(() => spansOn(topic, 'queue.process').length > 0 || undefined, {
      what: 'the process span',
    });
    const [publish] = spansOn(topic, 'queue.publish');
    const [process_] = spansOn(topic, 'queue.process');
    expect(process_?.trace_id).toBe(publish?.trace_id);
    expect(process_?.parent_span_id).toBe(publish?.span_id);
    const checkout = spans().find((s) => s.name === 'checkout');
    expect(publish?.parent_span_id).toBe(checkout?.span_id);

    const id = received[0]?.headers?.[FAULTLINE_HEADERS.messageId]?.toString();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(attr(publish, 'messaging.message.id')).toBe(id);
    expect(attr(publish, 'messaging.message.body.size')).toBe(5);
    expect(attr(process_, 'messaging.message.id')).toBe(id);
    expect(attr(process_, 'messaging.system')).toBe('kafka');
    expect(attr(process_, 'messaging.message.body.size')).toBe(5);
    expect(attr(process_, 'messaging.message.retry.count')).toBe(0);
    expect(attr(process_, 'messaging.destination.partition.id')).toBe('0');
    expect(attr(process_, 'messaging.kafka.offset')).toBe(0);
    expect(attr(process_, 'messaging.consumer.group.name')).toBe(groupId);
    const latency = attr(process_, 'messaging.message.receive.latency') as number;
    expect(latency).toBeGreaterThanOrEqual(0);
    expect(latency).toBeLessThan(30_000);
    expect(attr(process_, 'messaging.kafka.message.key')).toBeUndefined(); // keys only when allowed
    expect(process_?.status).toBe('ok');
  });

  it('puts the lag KafkaJS reports at the end of a batch on the next process span', async () => {
    const topic = await topicWith();
    const groupId = uniqueName('group');
    const producer = kafka.producer();
    await producer.connect();
    const consumer = instrumentConsumer(kafka.consumer({ groupId }), { groupId });
    let batchesEnded = 0;
    consumer.on(consumer.events.END_BATCH_PROCESS, () => {
      batchesEnded++;
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const handled: string[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        handled.push(String(message.value));
      },
    });
    await producer.send({ topic, messages: [{ value: 'first' }] });
    await waitUntil(() => batchesEnded >= 1 || undefined, { what: "the first batch's end" });
    await producer.send({ topic, messages: [{ value: 'second' }] });
    await waitUntil(() => handled.includes('second') || undefined, { what: 'the second message' });
    await consumer.disconnect();
    await producer.disconnect();
    await Sentry.flush(3000);

    const byOffset = new Map(
      spansOn(topic, 'queue.process').map((s) => [attr(s, 'messaging.kafka.offset'), s]),
    );
    expect(byOffset.size).toBe(2);
    // No batch had ended when the first message was processed; the first batch left no lag.
    expect(attr(byOffset.get(0), 'messaging.kafka.consumer.lag')).toBeUndefined();
    expect(attr(byOffset.get(1), 'messaging.kafka.consumer.lag')).toBe(0);
  });

  it('captures a failing message once with its Kafka context, retries it via its own retry topic after the delay, dead-letters it, and goes on', async () => {
    const topic = await topicWith();
    const groupId = uniqueName('group');
    const producer = kafka.producer();
    const admin = kafka.admin();
    await Promise.all([producer.connect(), admin.connect()]);
    await producer.send({ topic, messages: [{ value: 'poison' }, { value: 'good' }] });
    const consumer = instrumentConsumer(kafka.consumer({ groupId }), {
      groupId,
      onFailure: { type: 'retry-topics', producer, admin, maxAttempts: 3, retryDelayMs: 1500 },
    });
    await consumer.connect();
    // The retry topic is subscribed too: subscribe() creates it first, with the dead-letter topic.
    await consumer.subscribe({ topics: [topic, `${topic}.retry`], fromBeginning: true });
    const seen: string[] = [];
    const poisonAt: number[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(String(message.value));
        if (String(message.value) === 'poison') {
          poisonAt.push(Date.now());
          throw new TypeError('cannot parse order');
        }
      },
    });
    expect(await admin.listTopics()).toEqual(
      expect.arrayContaining([`${topic}.retry`, `${topic}.dead-letter`]),
    );
    await waitUntil(() => seen.filter((v) => v === 'poison').length >= 3 || undefined, {
      what: '3 attempts',
      timeoutMs: 20_000,
    });
    // Each retry ran only once its delay had passed.
    expect((poisonAt[1] ?? 0) - (poisonAt[0] ?? 0)).toBeGreaterThanOrEqual(1400);
    expect((poisonAt[2] ?? 0) - (poisonAt[1] ?? 0)).toBeGreaterThanOrEqual(1400);
    // The source topic still holds the two messages produced: retries never go back to it, so
    // other consumer groups of the topic do not see a failed message again.
    expect(
      (await readTopic(inject('kafkaBrokers'), topic, (m) => m.length >= 2)).map((m) => String(m.value)),
    ).toEqual(['poison', 'good']);
    const retries = await readTopic(inject('kafkaBrokers'), `${topic}.retry`, (m) => m.length >= 2);
    expect(retries.map((m) => m.headers?.[FAULTLINE_HEADERS.attempt]?.toString())).toEqual(['1', '2']);
    expect(Number(retries[0]?.headers?.[FAULTLINE_HEADERS.notBefore]?.toString())).toBeGreaterThan(0);
    const reader = kafka.consumer({ groupId: uniqueName('dlq-reader') });
    await reader.connect();
    await reader.subscribe({ topic: `${topic}.dead-letter`, fromBeginning: true });
    const dead = await new Promise<KafkaMessage>(
      (resolve) => void reader.run({ eachMessage: async ({ message }) => resolve(message) }),
    );
    await reader.disconnect();
    const counted = failureStats(consumer);
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
    await Sentry.flush(3000);

    expect(seen).toContain('good');
    expect(seen.filter((v) => v === 'poison')).toHaveLength(3); // never loops forever
    expect(counted).toMatchObject({ retried: 2, deadLettered: 1, unpublished: 0 });
    expect(counted?.delayed).toBeGreaterThanOrEqual(2);
    const header = (name: string) => dead.headers?.[name]?.toString();
    expect(String(dead.value)).toBe('poison');
    expect({
      topic: header(FAULTLINE_HEADERS.originalTopic),
      partition: header(FAULTLINE_HEADERS.originalPartition),
      offset: header(FAULTLINE_HEADERS.originalOffset),
      group: header(FAULTLINE_HEADERS.group),
      errorClass: header(FAULTLINE_HEADERS.errorClass),
      errorMessage: header(FAULTLINE_HEADERS.errorMessage),
      attempt: header(FAULTLINE_HEADERS.attempt),
    }).toEqual({
      topic,
      partition: '0',
      offset: '0',
      group: groupId,
      errorClass: 'TypeError',
      errorMessage: 'cannot parse order',
      attempt: '3',
    });
    expect(header(FAULTLINE_HEADERS.originalTimestamp)).toMatch(/^\d+$/);

    const events = ingest
      .items<Sentry.Event>('event')
      .filter((e) => e.contexts?.kafka?.original_topic === topic);
    expect(events).toHaveLength(1);
    // Given up on at its third attempt, which came from the retry topic.
    expect(events[0]?.contexts?.kafka).toMatchObject({
      topic: `${topic}.retry`,
      partition: 0,
      offset: '1',
      group: groupId,
      attempt: 3,
      original_topic: topic,
      original_partition: 0,
      original_offset: '0',
    });
    expect(events[0]?.exception?.values?.[0]?.value).toBe('cannot parse order');
    const crumbs = (events[0]?.breadcrumbs ?? []).map((b) => b.message);
    expect(crumbs).toEqual(expect.arrayContaining(['joined the group']));
    const failed = (on: string) => spansOn(on, 'queue.process').filter((s) => s.status === 'error');
    expect(failed(topic).length).toBe(1);
    expect(failed(`${topic}.retry`).length).toBe(2);
  });

  it('keeps the offsets moving when the broker refuses the dead letter: counted, captured, and the next message runs', async () => {
    const topic = await topicWith();
    // A dead-letter topic that takes no message this size: the broker answers MESSAGE_TOO_LARGE.
    await createTopic(inject('kafkaBrokers'), `${topic}.dead-letter`, 1, { 'max.message.bytes': '100' });
    const groupId = uniqueName('group');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'poison' }, { value: 'good' }] });
    const consumer = instrumentConsumer(kafka.consumer({ groupId }), {
      groupId,
      onFailure: { type: 'retry-topics', producer, maxAttempts: 1, publishTimeoutMs: 1500 },
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(String(message.value));
        if (String(message.value) === 'poison') throw new Error('cannot ship order');
      },
    });
    await waitUntil(() => seen.includes('good') || undefined, {
      what: 'the next message',
      timeoutMs: 20_000,
    });
    const counted = failureStats(consumer);
    await consumer.disconnect();
    await producer.disconnect();
    await Sentry.flush(3000);

    expect(counted).toMatchObject({ deadLettered: 0, unpublished: 1 });
    expect(counted?.publishErrors).toBeGreaterThanOrEqual(2); // retried with backoff before giving up
    const lag = await groupLag(inject('kafkaBrokers'), groupId, topic);
    expect(lag).toBe(0);
    const events = ingest.items<Sentry.Event>('event').filter((e) => e.contexts?.kafka?.topic === topic);
    const values = events.map((e) => e.exception?.values?.at(-1)?.value ?? '');
    expect(values).toContain('cannot ship order');
    expect(values.find((v) => v.startsWith('could not publish the dead letter'))).toMatch(
      new RegExp(
        `to ${topic}\\.dead-letter within 1500 ms: .*; the message stays at offset 0 of ${topic} partition 0`,
      ),
    );
  });

  it('fails subscribe() with one line when the retry and dead-letter topics cannot be created', async () => {
    const topic = await topicWith();
    const groupId = uniqueName('group');
    const producer = kafka.producer();
    const admin = kafka.admin();
    await admin.connect();
    const consumer = instrumentConsumer(kafka.consumer({ groupId }), {
      groupId,
      // A name the broker refuses, as a cluster without CreateTopics rights refuses any.
      onFailure: { type: 'retry-topics', producer, admin, retryTopic: 'not a topic name!' },
    });
    await consumer.connect();
    await expect(consumer.subscribe({ topic, fromBeginning: true })).rejects.toThrow(
      /^retry-topics: not a topic name! does not exist and could not be created \(.+\); create it, or let this client create topics$/,
    );
    // The dead-letter topic, which could be created, was.
    expect(await admin.listTopics()).toContain(`${topic}.dead-letter`);
    await consumer.disconnect();
    await admin.disconnect();
  });

  it('gives a message its producer did not sample no span, yet its error continues the trace and the drop is counted', async () => {
    const topic = await topicWith();
    const groupId = uniqueName('group');
    const traceId = randomUUID().replace(/-/g, '');
    const parentSpanId = randomUUID().replace(/-/g, '').slice(0, 16);
    const headers = {
      'sentry-trace': `${traceId}-${parentSpanId}-0`,
      baggage: `sentry-trace_id=${traceId},sentry-sampled=false,sentry-sample_rand=0.42`,
    };
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { value: 'fine', headers },
        { value: 'boom', headers },
      ],
    });
    await Sentry.flush(3000);
    const droppedBefore = ingest.discarded()['sample_rate:span'] ?? 0;
    const consumer = instrumentConsumer(kafka.consumer({ groupId }), {
      groupId,
      onFailure: { type: 'retry-topics', producer, maxAttempts: 1 },
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let handled = 0;
    void consumer.run({
      eachMessage: async ({ message }) => {
        handled++;
        if (String(message.value) === 'boom') throw new Error('failed without a span');
      },
    });
    await waitUntil(() => handled >= 2 || undefined, { what: 'both messages handled' });
    await waitUntil(
      () => ingest.items<Sentry.Event>('event').find((e) => e.contexts?.kafka?.topic === topic),
      {
        what: 'the failure event',
      },
    );
    await consumer.disconnect();
    await producer.disconnect();
    await Sentry.flush(3000);

    expect(spansOn(topic, 'queue.process')).toHaveLength(0);
    const events = ingest.items<Sentry.Event>('event').filter((e) => e.contexts?.kafka?.topic === topic);
    expect(events).toHaveLength(1);
    expect(events[0]?.contexts?.trace?.trace_id).toBe(traceId);
    expect(events[0]?.contexts?.trace?.parent_span_id).toBe(parentSpanId);
    // Counted in the client report as Sentry counts an unsampled span: one per message.
    expect((ingest.discarded()['sample_rate:span'] ?? 0) - droppedBefore).toBe(2);
  });

  it('sends a W3C traceparent for OpenTelemetry consumers when asked, naming the publish span', async () => {
    const topic = await topicWith();
    const plain = instrumentProducer(kafka.producer());
    const w3c = instrumentProducer(kafka.producer(), { propagateTraceparent: true });
    await plain.connect();
    await w3c.connect();
    await Sentry.startSpan({ name: 'w3c', op: 'http.server' }, async () => {
      await plain.send({ topic, messages: [{ value: 'plain' }] });
      await w3c.send({ topic, messages: [{ value: 'w3c' }] });
    });
    await plain.disconnect();
    await w3c.disconnect();
    await Sentry.flush(3000);
    const messages = await readTopic(inject('kafkaBrokers'), topic, (m) => m.length >= 2);
    const byValue = new Map(messages.map((m) => [m.value?.toString(), m.headers ?? {}]));
    expect(byValue.get('plain')?.traceparent).toBeUndefined();
    const traceparent = byValue.get('w3c')?.traceparent?.toString() ?? '';
    const [version, traceId, spanId, flags] = traceparent.split('-');
    expect(version).toBe('00');
    expect(flags).toBe('01');
    const publish = spansOn(topic, 'queue.publish').find((s) => s.span_id === spanId);
    expect(publish?.trace_id).toBe(traceId);
    // The same trace as Sentry's own header.
    expect(byValue.get('w3c')?.['sentry-trace']?.toString()).toBe(`${traceId}-${spanId}-1`);
  });

  it("asks Faultline's trace sampler once per message; each message is a span or a counted drop", async () => {
    const topic = await topicWith();
    const count = 40;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: count }, (_, i) => ({ value: String(i) })),
    });
    await producer.disconnect();
    // An ingest of its own: this child's client reports and events only.
    const own = await createIngestDouble();
    try {
      const result = await runFixture('sampled-consumer.mjs', own.dsn(8), topic, {
        FIXTURE_COUNT: String(count),
      });
      const { decisions } = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}');
      expect(decisions).toBe(count);

      const processSpans = own
        .items<{ items: SpanJson[] }>('span')
        .flatMap((container) => container.items)
        .filter((s) => attr(s, 'sentry.op') === 'queue.process');
      // Rate 0.5 over 40 messages: all or none sampled has odds of 2 in a trillion.
      expect(processSpans.length).toBeGreaterThan(0);
      expect(processSpans.length).toBeLessThan(count);
      for (const span of processSpans) {
        expect(attr(span, 'sentry.sample_rate')).toBe(0.5);
        expect(attr(span, 'faultline.presampled_rate')).toBeUndefined();
      }
      // Every unsampled message is counted, and nothing else was dropped (a queue_overflow here
      // would mean the fixture lost envelopes, not that the sampler decided).
      const discarded = own.discarded();
      expect(discarded, `fixture stderr: ${result.stderr}`).toEqual({
        'sample_rate:span': count - processSpans.length,
      });

      // Sampled or not, each message ran in a trace of its own, which its events carry.
      const events = own.items<Sentry.Event>('event');
      expect(events).toHaveLength(count);
      const traceIds = new Set(events.map((e) => e.contexts?.trace?.trace_id));
      expect(traceIds.size).toBe(count);
      for (const span of processSpans) expect(traceIds.has(span.trace_id)).toBe(true);
    } finally {
      await own.close();
    }
  });

  it('captures a crash KafkaJS will not restart from, with its breadcrumb', async () => {
    const topic = await topicWith();
    const groupId = uniqueName('group');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'bug' }] });
    await producer.disconnect();
    // A TypeError is unrecoverable to KafkaJS: the consumer crashes with restart: false and stops.
    const consumer = instrumentConsumer(kafka.consumer({ groupId }), { groupId });
    let crashed = false;
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) crashed = true;
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async () => {
        throw new TypeError('undefined is not a function');
      },
    });
    await waitUntil(() => crashed || undefined, { what: 'the crash without restart', timeoutMs: 20_000 });
    await consumer.disconnect();
    await Sentry.flush(3000);

    const mine = ingest.items<Sentry.Event>('event').filter((e) => e.contexts?.kafka?.group === groupId);
    const mechanisms = mine.map((e) => e.exception?.values?.at(-1)?.mechanism?.type);
    // The handler's error once, with its message context; the crash as an error of its own.
    expect(mechanisms.filter((m) => m === 'auto.queue.faultline.kafkajs')).toHaveLength(1);
    const crash = mine.find(
      (e) => e.exception?.values?.at(-1)?.mechanism?.type === 'auto.queue.faultline.kafkajs.crash',
    );
    expect(crash).toBeDefined();
    expect(crash?.breadcrumbs?.map((b) => b.message)).toContain('crashed, not restarting');
  });

  it('leaves rebalance breadcrumbs that appear on the next error', async () => {
    const topic = await topicWith(2);
    const groupId = uniqueName('group');
    const first = instrumentConsumer(kafka.consumer({ groupId, heartbeatInterval: 200 }), { groupId });
    await first.connect();
    await first.subscribe({ topic, fromBeginning: true });
    let failed = false;
    await first.run({
      eachMessage: async ({ message }) => {
        if (String(message.value) === 'boom') {
          failed = true;
          throw new Error('after the rebalance');
        }
      },
    });
    const second = kafka.consumer({ groupId });
    await second.connect();
    await second.subscribe({ topic, fromBeginning: true });
    await second.run({ eachMessage: async () => undefined });
    await second.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await waitUntil(
      async () => {
        if (failed) return true;
        await producer.send({
          topic,
          messages: [
            { value: 'boom', partition: 0 },
            { value: 'boom', partition: 1 },
          ],
        });
        return undefined;
      },
      { what: 'the failing message on the first consumer', timeoutMs: 30_000, intervalMs: 1000 },
    );
    await first.disconnect();
    await producer.disconnect();
    await Sentry.flush(3000);
    const event = ingest.items<Sentry.Event>('event').find((e) => e.contexts?.kafka?.topic === topic);
    const crumbs = (event?.breadcrumbs ?? [])
      .filter((b) => b.category === 'kafka.consumer')
      .map((b) => b.message);
    expect(crumbs).toContain('rebalancing');
  });

  it('gives an eachBatch a receive span and one process span per message, linked to its producer', async () => {
    const topic = await topicWith();
    const groupId = uniqueName('group');
    const producer = instrumentProducer(kafka.producer());
    await producer.connect();
    await Sentry.startSpan({ name: 'publish three', op: 'function' }, () =>
      producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] }),
    );
    const consumer = instrumentConsumer(kafka.consumer({ groupId }), { groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let handled = 0;
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          handled += batch.messages.length;
          if (handled >= 3) resolve();
        },
      });
    });
    await consumer.disconnect();
    await producer.disconnect();
    await Sentry.flush(3000);
    await waitUntil(() => spansOn(topic, 'queue.process').length >= 3 || undefined, {
      what: '3 process spans',
      describeFailure: () =>
        JSON.stringify(
          spans()
            .filter((s) => attr(s, 'messaging.destination.name') === topic)
            .map((s) => ({ name: s.name, op: attr(s, 'sentry.op') })),
        ),
    });
    const [receive] = spansOn(topic, 'queue.receive');
    expect(attr(receive, 'messaging.batch.message_count')).toBe(3);
    const publishIds = new Set(spansOn(topic, 'queue.publish').map((s) => s.span_id));
    const linked = spansOn(topic, 'queue.process').map(
      (s) => (s as SpanJson & { links?: { span_id: string }[] }).links?.[0]?.span_id,
    );
    expect(linked).toHaveLength(3);
    for (const spanId of linked) expect(publishIds.has(spanId ?? '')).toBe(true);
  });

  it('runs the order-worker example as its README says', async () => {
    const topic = uniqueName('orders');
    const own = await createIngestDouble();
    try {
      const example = fileURLToPath(new URL('../../../examples/order-worker/', import.meta.url));
      const result = await runNodeScript(`${example}worker.mjs`, {
        nodeArgs: ['--import', './instrument.mjs'],
        cwd: example,
        env: {
          PATH: process.env.PATH,
          SENTRY_DSN: own.dsn(9),
          KAFKA_BROKERS: inject('kafkaBrokers').join(','),
          ORDERS_TOPIC: topic,
          RUN_MS: '6000',
          KAFKAJS_NO_PARTITIONER_WARNING: '1',
        },
        timeoutMs: 60_000,
      });
      expect(result.stdout).toContain(
        `order-worker: 2 processed; the malformed one is in ${topic}.dead-letter`,
      );
      const [dead] = await readTopic(inject('kafkaBrokers'), `${topic}.dead-letter`, (m) => m.length >= 1);
      expect(String(dead?.value)).toBe('{"id":2');
      expect(dead?.headers?.[FAULTLINE_HEADERS.attempt]?.toString()).toBe('3');
      const events = own
        .items<Sentry.Event>('event')
        .filter((e) => e.contexts?.kafka?.original_topic === topic);
      expect(events).toHaveLength(1);
      expect(events[0]?.exception?.values?.[0]?.type).toBe('SyntaxError');
    } finally {
      await own.close();
    }
  });

  it('instruments a CommonJS consumer without preload flags', async () => {
    const topic = await topicWith();
    const result = await runFixture('cjs-consumer.cjs', ingest.dsn(6), topic);
    expect(result.stdout).toContain('cjs done');
    const [publish] = spansOn(topic, 'queue.publish');
    const [process_] = spansOn(topic, 'queue.process');
    expect(process_?.parent_span_id).toBe(publish?.span_id);
  });
});
