import type { Logger } from '@faultline/contract';
import { createTopic, type IngestDouble, uniqueName, waitUntil } from '@faultline/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { createForwarder, type StartFrom } from '../src/index.js';
import { deliveredIds, envelopeBytes, eventIdOf, useCleanups } from './helpers.js';

// Where a consumer group that never committed starts, on a real broker: envelopes written with
// timestamps two hours, thirty minutes and one minute ago (the broker keeps the producer's
// CreateTime), then a forwarder with each `startFrom`.
const { defer, double } = useCleanups();
const MINUTE = 60_000;

async function topicWithHistory(): Promise<{ topic: string; ingest: IngestDouble; dsn: string }> {
  const ingest = await double();
  const dsn = ingest.dsn(8);
  const topic = uniqueName('start-from');
  await createTopic(inject('kafkaBrokers'), topic);
  const producer = new Kafka({ brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const now = Date.now();
  const ages = [120, 120, 120, 30, 30, 1];
  await producer.send({
    topic,
    messages: ages.map((age, i) => ({ value: envelopeBytes(dsn, i), timestamp: String(now - age * MINUTE) })),
  });
  await producer.disconnect();
  return { topic, ingest, dsn };
}

function capture(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const none = () => undefined;
  return {
    logger: { debug: none, info: none, error: none, warn: (message) => warnings.push(message) },
    warnings,
  };
}

async function run(topic: string, dsn: string, startFrom: StartFrom | undefined, logger: Logger) {
  const forwarder = createForwarder({
    brokers: inject('kafkaBrokers'),
    topic,
    groupId: uniqueName('start-from-group'),
    allowedDsns: [dsn],
    startFrom,
    logger,
  });
  defer(() => forwarder.stop());
  await forwarder.start();
  return forwarder;
}

describe('where a new forwarder group starts', () => {
  it('at the earliest offset by default, saying how many envelopes are older than an hour', async () => {
    const { topic, ingest, dsn } = await topicWithHistory();
    const { logger, warnings } = capture();
    await run(topic, dsn, undefined, logger);
    await waitUntil(() => deliveredIds(ingest).size >= 6 || undefined, { what: 'all 6', timeoutMs: 30_000 });
    expect(warnings.filter((w) => w.startsWith('new consumer group'))).toEqual([
      expect.stringContaining('will deliver 3 envelopes older than an hour again'),
    ]);
  });

  it('at a time: the first envelope written at or after it', async () => {
    const { topic, ingest, dsn } = await topicWithHistory();
    const { logger, warnings } = capture();
    await run(topic, dsn, new Date(Date.now() - 60 * MINUTE), logger);
    await waitUntil(() => deliveredIds(ingest).size >= 3 || undefined, {
      what: 'the last 3',
      timeoutMs: 30_000,
    });
    // Time for anything older to have come too, had the group started earlier.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect([...deliveredIds(ingest)].sort()).toEqual([3, 4, 5].map(eventIdOf));
    expect(warnings.filter((w) => w.startsWith('new consumer group'))).toEqual([]);
  });

  it('at the end with latest: only what is written from then on', async () => {
    const { topic, ingest, dsn } = await topicWithHistory();
    await run(topic, dsn, 'latest', capture().logger);
    // The group has joined: envelopes written now are delivered, the history is not.
    const producer = new Kafka({ brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await waitUntil(
      async () => {
        await producer.send({ topic, messages: [{ value: envelopeBytes(dsn, 100) }] });
        return deliveredIds(ingest).has(eventIdOf(100)) || undefined;
      },
      { what: 'a new envelope delivered', timeoutMs: 30_000, intervalMs: 1000 },
    );
    await producer.disconnect();
    expect([...deliveredIds(ingest)]).toEqual([eventIdOf(100)]);
  });
});
