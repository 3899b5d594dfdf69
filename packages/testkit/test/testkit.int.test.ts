import * as Sentry from '@sentry/core';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createIngestDouble, createTopic, type IngestDouble, uniqueName } from '../src/index.js';

describe('the started Kafka broker', () => {
  it('takes messages from a KafkaJS producer and gives them to a consumer', async () => {
    const kafka = new Kafka({
      brokers: inject('kafkaBrokers'),
      clientId: 'testkit-test',
      logLevel: logLevel.WARN,
    });
    const topic = uniqueName('testkit');
    await createTopic(inject('kafkaBrokers'), topic);

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'a', value: 'first', headers: { 'x-test': '1' } },
        { key: 'b', value: 'second' },
      ],
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('testkit-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; value: string; header: string | undefined }[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no messages within 20 s')), 20_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push({
            key: String(message.key),
            value: String(message.value),
            header: message.headers?.['x-test']?.toString(),
          });
          if (received.length === 2) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    expect(received).toEqual([
      { key: 'a', value: 'first', header: '1' },
      { key: 'b', value: 'second', header: undefined },
    ]);
  });
});

describe('the ingest double', () => {
  let ingest: IngestDouble;
  beforeAll(async () => {
    ingest = await createIngestDouble();
  });
  afterAll(() => ingest.close());

  it('answers a configured 429 with its headers, and the Sentry transport honours them', async () => {
    ingest.respondWith({
      status: 429,
      headers: { 'retry-after': '30', 'x-sentry-rate-limits': '60:error:key' },
    });
    const dsn = Sentry.makeDsn(ingest.dsn(5));
    if (!dsn) throw new Error('the double gave an invalid DSN');
    const url = Sentry.getEnvelopeEndpointWithUrlEncodedAuth(dsn);
    const dropped: string[] = [];
    const transport = Sentry.createTransport(
      { recordDroppedEvent: (reason, category) => void dropped.push(`${reason}:${category}`) },
      async (request) => {
        const response = await fetch(url, { method: 'POST', body: request.body });
        return {
          statusCode: response.status,
          headers: {
            'retry-after': response.headers.get('retry-after'),
            'x-sentry-rate-limits': response.headers.get('x-sentry-rate-limits'),
          },
        };
      },
    );
    const envelope = () =>
      Sentry.createEnvelope<Sentry.EventEnvelope>(
        { event_id: Sentry.uuid4(), sent_at: new Date().toISOString() },
        [[{ type: 'event' }, { message: 'limited', level: 'error' }]],
      );

    const first = await transport.send(envelope());
    expect(first.statusCode).toBe(429);
    expect(first.headers?.['retry-after']).toBe('30');
    expect(first.headers?.['x-sentry-rate-limits']).toBe('60:error:key');

    // The SDK is now rate limited for errors: the next envelope never reaches the double.
    await transport.send(envelope());
    expect(ingest.requests).toHaveLength(1);
    expect(ingest.requests[0]?.status).toBe(429);
    expect(dropped).toEqual(['ratelimit_backoff:error']);
  });

  it('records decompressed envelopes, answers slowly or with 5xx when told', async () => {
    ingest.requests.length = 0;
    ingest.respondWith({ status: 503, delayMs: 200 });
    const body = '{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n{"type":"event"}\n{"message":"hi"}\n';
    const { gzipSync } = await import('node:zlib');
    const started = Date.now();
    const slow = await fetch(`${ingest.url}/api/3/envelope/`, {
      method: 'POST',
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync(body),
    });
    expect(slow.status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    const ok = await fetch(`${ingest.url}/api/3/envelope/`, { method: 'POST', body });
    expect(await ok.json()).toEqual({ id: '9ec79c33ec9942ab8353589fcb2e04dc' });
    expect(ingest.requests.map((r) => [r.projectId, r.status, r.body.toString()])).toEqual([
      ['3', 503, body],
      ['3', 200, body],
    ]);
    expect(ingest.requests[0]?.envelope?.[1][0]?.[1]).toEqual({ message: 'hi' });
  });
});
