import { captureConsumers, createTopic, uniqueName, waitUntil } from '@faultline/testkit';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { createForwarder, type Forwarder, type LogEntry } from '../src/index.js';
import { deliveredIds, envelopeBytes, useCleanups } from './helpers.js';

// A KafkaJS consumer was seen (in the alerts service, after a leader election) fetching every
// 500 ms yet never reading one partition again: no error, no crash event, nothing the stall watch
// sees. No broker can be made to cause that on demand, so it is injected with KafkaJS's own
// pause() on the forwarder's real consumer; its other partition keeps being fetched. The broker
// is the shared real one; the ingest double stands in for Sentry.
const { defer, double } = useCleanups();

/** Envelopes `from`..`from + count - 1` of `dsn`, written to one partition. */
async function produceTo(topic: string, partition: number, dsn: string, from: number, count: number) {
  const kafka = new Kafka({ brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: count }, (_, i) => ({ partition, value: envelopeBytes(dsn, from + i) })),
  });
  await producer.disconnect();
}

describe('a forwarder whose consumer fetches but no longer reads a partition', () => {
  it('gives up, not ready, whether it had read the partition or not since it joined; its successor delivers all', async () => {
    const ingest = await double();
    const dsn = ingest.dsn(3);
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('unread');
    const groupId = uniqueName('unread');
    await createTopic(brokers, topic, 2);
    const { consumers, restore } = captureConsumers(groupId);
    defer(async () => restore());
    const start = async (onJoin?: (consumer: Consumer) => void) => {
      const failures: Error[] = [];
      const logs: LogEntry[] = [];
      const at = (level: LogEntry['level']) => (msg: string) => logs.push({ level, msg });
      const forwarder: Forwarder = createForwarder({
        brokers,
        topic,
        groupId,
        allowedDsns: ['publickey'],
        allowedHosts: ['127.0.0.1'],
        stallAfterMs: 2000,
        logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
        onFatal: (error) => failures.push(error),
      });
      defer(() => forwarder.stop());
      const starting = forwarder.start();
      await waitUntil(() => consumers.length > 0 || undefined, { what: 'the consumer' });
      const consumer = consumers.splice(0)[0] as Consumer;
      if (onJoin) consumer.on(consumer.events.GROUP_JOIN, () => onJoin(consumer));
      await starting;
      return { forwarder, consumer, failures, logs };
    };

    // It had read the partition: caught up and idle for several checks, it goes on.
    const first = await start();
    await produceTo(topic, 0, dsn, 0, 10);
    await produceTo(topic, 1, dsn, 10, 10);
    await waitUntil(() => deliveredIds(ingest).size === 20 || undefined, { what: '20 deliveries' });
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(first.failures).toEqual([]);
    first.consumer.pause([{ topic, partitions: [0] }]);
    await produceTo(topic, 0, dsn, 20, 30);
    await produceTo(topic, 1, dsn, 50, 10); // read: the consumer fetches on
    await waitUntil(() => first.failures[0], { what: 'onFatal', timeoutMs: 30_000 });
    expect(first.failures.map((e) => e.message)).toEqual([
      expect.stringMatching(/^the consumer stopped reading partition 0: 30 envelopes unread for \d+ s$/),
    ]);
    expect(first.forwarder.ready).toBe(false);
    expect(first.logs.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      'consumer stopped reading a partition and cannot go on',
    ]);
    expect(deliveredIds(ingest).size).toBe(30);
    await first.forwarder.stop();

    // Restarted, it never reads partition 0 at all: judged from the offset its group committed.
    const second = await start((consumer) => consumer.pause([{ topic, partitions: [0] }]));
    await waitUntil(() => second.failures[0], { what: 'onFatal', timeoutMs: 30_000 });
    expect(second.failures.map((e) => e.message)).toEqual([
      expect.stringMatching(/^the consumer stopped reading partition 0: 30 envelopes unread for \d+ s$/),
    ]);
    await second.forwarder.stop();

    // What an orchestrator's next restart finds: every envelope, none lost.
    const third = await start();
    await waitUntil(() => deliveredIds(ingest).size === 60 || undefined, { what: '60 deliveries' });
    expect(third.failures).toEqual([]);
  }, 120_000);
});
