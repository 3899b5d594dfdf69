import { type Logger, silentLogger } from '@faultline/contract';
import { captureConsumers, createTopic, uniqueName, waitUntil } from '@faultline/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { createAlertsService } from '../src/index.js';

/** Envelopes of one error event each, to one partition: the run counts every message it reads. */
async function produce(topic: string, partition: number, from: number, count: number): Promise<void> {
  const producer = new Kafka({ brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: count }, (_, i) => ({
      partition,
      value: Buffer.from(
        `${JSON.stringify({ event_id: (from + i).toString(16).padStart(32, '0') })}\n{"type":"event"}\n` +
          `${JSON.stringify({ level: 'error', message: `record ${from + i}`, timestamp: Date.now() / 1000 })}\n`,
      ),
    })),
  });
  await producer.disconnect();
}

/** A service that sends nothing (dry run), with the warnings it logs. */
function warningService(topic: string, groupId: string) {
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
  const service = createAlertsService(
    {
      brokers: inject('kafkaBrokers'),
      topic,
      groupId,
      stateTopic: uniqueName(`${groupId}-state`),
      dryRun: true,
      logger,
    },
    {},
  );
  return { service, warnings };
}

// KafkaJS takes a seek off its list before it commits it, so a commit that fails (the group's
// coordinator moving, in a leader election) loses the seek, and the run reads from the group's
// position instead; after a crash it reads again from the committed offsets. Neither can be
// caused on demand by a real broker, so both are injected on the run's real consumer: the
// lookback's seek of partition 0 is dropped, as KafkaJS drops it, and a seek back to offset 0
// stands in for a restart from an old committed offset. The broker is the shared real one.
describe('an active alerts run that KafkaJS reads from elsewhere than it was sent', () => {
  it('counts each message of its lookback once: seeks back over what a lost seek skipped, skips what is read again', async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('count-once');
    await createTopic(brokers, topic, 2);
    const groupId = uniqueName('count-once');
    await produce(topic, 0, 0, 30);
    await produce(topic, 1, 30, 10);
    // The group's committed position on partition 0 is its end, as an earlier run leaves it.
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '30' }] });
    await admin.disconnect();
    const { consumers: runs, restore } = captureConsumers(groupId, (created) => {
      const seek = created.seek.bind(created);
      let lost = false;
      created.seek = (target) => {
        if (!lost && target.partition === 0) {
          lost = true; // as KafkaJS loses it: taken off its list, never applied
          return;
        }
        seek(target);
      };
    });
    const { service, warnings } = warningService(topic, groupId);
    try {
      await service.start();
      // Partition 0, its seek lost, is read from the group's committed position, its end. Its
      // first batch (the next 5) starts past the lookback's 30: the run seeks back and counts 35.
      await waitUntil(() => (service.stats.envelopes >= 10 ? true : undefined), {
        what: 'partition 1 read',
        timeoutMs: 30_000,
      });
      await produce(topic, 0, 40, 5);
      await waitUntil(() => (service.stats.caughtUp && service.stats.envelopes >= 45) || undefined, {
        what: 'all 45 envelopes counted',
        timeoutMs: 30_000,
      });
      expect(runs).toHaveLength(1);
      expect(service.stats.soughtBack).toBe(1);
      expect(warnings).toContain('the run read past messages it had not counted; seeking back');

      // Read again from offset 0, as after a restart from an old committed offset: counted once.
      runs[0]?.seek({ topic, partition: 0, offset: '0' });
      await produce(topic, 0, 45, 5);
      await waitUntil(() => (service.stats.envelopes >= 50 ? true : undefined), {
        what: 'the 5 new envelopes counted',
        timeoutMs: 30_000,
      });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(service.stats.envelopes).toBe(50);
      expect(service.stats.readAgain).toBe(35);
      expect(service.stats.unreadable).toBe(0);
    } finally {
      await service.stop();
      restore();
    }
  }, 90_000);

  // Retention that deletes the lookback's start between the moment the run finds it and its first
  // read: the broker's own deleteRecords moves the partition's start as retention does, and it is
  // made inside the run's consumer.run(), after the lookback offsets are found, since retention
  // cannot be timed to fall there. KafkaJS then answers the seek with an offset out of range and
  // resets the partition by the subscription's policy.
  it('counts what retention left of the lookback when its start is deleted before it is read', async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('count-retention');
    await createTopic(brokers, topic, 1);
    const groupId = uniqueName('count-retention');
    await produce(topic, 0, 0, 30);
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: [topic] }); // KafkaJS deletes records only of topics it knows
    const { restore } = captureConsumers(groupId, (created) => {
      const run = created.run.bind(created);
      created.run = async (config) => {
        await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '20' }] });
        return run(config);
      };
    });
    const { service, warnings } = warningService(topic, groupId);
    try {
      await service.start();
      // The 10 records retention left (offsets 20 to 29), once the run has taken the gap as real.
      await waitUntil(() => (service.stats.envelopes >= 10 ? true : undefined), {
        what: 'the 10 records left counted',
        timeoutMs: 30_000,
      });
      await produce(topic, 0, 30, 5);
      await waitUntil(() => (service.stats.envelopes >= 15 ? true : undefined), {
        what: 'the 5 new records counted',
        timeoutMs: 30_000,
      });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(service.stats.envelopes).toBe(15);
      expect(service.stats.readAgain).toBe(0);
      // KafkaJS resets the partition to offset 20 each time the run seeks back to the deleted 0,
      // until the run takes the gap as real (SEEKS_BEFORE_GAP).
      expect(service.stats.soughtBack).toBe(3);
      expect(warnings).toContain('the run read past messages it had not counted; seeking back');
    } finally {
      await service.stop();
      await admin.disconnect();
      restore();
    }
  }, 90_000);
});
