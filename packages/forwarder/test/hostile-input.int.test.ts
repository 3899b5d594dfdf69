import { DEAD_LETTER_HEADERS, deadLetterTopicFor, silentLogger } from '@faultline/contract';
import {
  createTopic,
  groupLag,
  hostileMessages,
  incompressibleEvent,
  readTopic,
  uniqueName,
  waitUntil,
} from '@faultline/testkit';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { createForwarder } from '../src/index.js';
import { deliveredIds, envelopeBytes, eventIdOf, useCleanups } from './helpers.js';

// Real broker, real forwarder; the ingest double stands in for Sentry (it accepts what it is
// sent). The topic gets the crafted messages of issue 22 (see testkit's hostile-messages.ts),
// then 100 good events: nothing may stall a partition, and nothing may be retried for ever.
const { defer, double } = useCleanups();
const brokers = () => inject('kafkaBrokers');

async function produceEach(topic: string, messages: { value: Buffer; gzip?: boolean }[]): Promise<void> {
  const producer = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    // One at a time, in order, each with its own compression: the topic takes them as written.
    for (const [i, message] of messages.entries()) {
      await producer.send({
        topic,
        compression: message.gzip ? CompressionTypes.GZIP : CompressionTypes.None,
        messages: [{ key: String(i), value: message.value }],
      });
    }
  } finally {
    await producer.disconnect();
  }
}

describe('the forwarder on hostile input', () => {
  it('finishes every crafted message (dead letters with reasons), delivers the 100 good events after them, and its lag reaches 0', async () => {
    const ingest = await double();
    const dsn = ingest.dsn(42);
    const topic = uniqueName('hostile');
    const deadLetters = deadLetterTopicFor(topic);
    // The envelope topic takes large messages (set per topic, as some teams do); its dead-letter
    // topic keeps the broker's 1 MB default, so an incompressible 2 MB envelope can reach the
    // forwarder but not the dead-letter topic whole: it goes there as a stub.
    await createTopic(brokers(), topic, 2, { 'max.message.bytes': String(8 * 1024 * 1024) });
    await createTopic(brokers(), deadLetters, 1);
    const crafted = hostileMessages(dsn);
    const good = Array.from({ length: 100 }, (_, i) => ({ value: envelopeBytes(dsn, i) }));
    await produceEach(topic, [...crafted, { value: incompressibleEvent(dsn, 2 * 1024 * 1024) }, ...good]);

    const groupId = uniqueName('hostile-forwarder');
    const forwarder = createForwarder({
      brokers: brokers(),
      topic,
      groupId,
      allowedDsns: [dsn],
      retryBackoff: { initialMs: 200, maxMs: 1000 },
      logger: silentLogger,
    });
    defer(() => forwarder.stop());
    await forwarder.start();

    await waitUntil(() => (deliveredIds(ingest).size >= 100 ? true : undefined), {
      what: 'the 100 good events',
      timeoutMs: 60_000,
    });
    const delivered = deliveredIds(ingest);
    for (let i = 0; i < 100; i++) expect(delivered.has(eventIdOf(i))).toBe(true);
    await waitUntil(async () => ((await groupLag(brokers(), groupId, topic)) === 0 ? true : undefined), {
      what: 'the group lag at 0',
      timeoutMs: 30_000,
    });

    const dead = await readTopic(brokers(), deadLetters, (m) => m.length >= 4, 30_000);
    const reasons = dead.map((m) => m.headers?.[DEAD_LETTER_HEADERS.reason]?.toString()).sort();
    const expected = crafted.filter((c) => c.forwarder !== 'delivered').map((c) => c.forwarder);
    expect(reasons).toEqual([...expected, 'too_large'].sort());
    // The incompressible one is there as a stub: its first 4 KiB, and the size it had.
    const stub = dead.find((m) => m.headers?.[DEAD_LETTER_HEADERS.truncatedFrom]);
    expect(Number(stub?.headers?.[DEAD_LETTER_HEADERS.truncatedFrom]?.toString())).toBeGreaterThan(
      2 * 1024 * 1024,
    );
    expect(stub?.value?.length).toBe(4096);
    // The 5 MB one went whole, compressed as it came.
    expect(dead.some((m) => (m.value?.length ?? 0) > 5 * 1024 * 1024)).toBe(true);
    expect(forwarder.metrics.deadLettered).toMatchObject({ malformed: 2, too_large: 2 });
    expect(forwarder.metrics.dropped.dead_letter_refused).toBeUndefined();
  });
});
