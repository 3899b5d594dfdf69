import { type Logger, silentLogger } from '@faultline/contract';
import { captureConsumers, createTopic, startKafka, uniqueName, waitUntil } from '@faultline/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createAlertsService } from '../src/index.js';

/** Envelopes of one error event each: the run counts every message it reads. */
async function produce(
  brokers: string[],
  topic: string,
  count: number,
  from: number,
  partition?: number,
): Promise<void> {
  const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const messages = Array.from({ length: count }, (_, i) => ({
    value: Buffer.from(
      `${JSON.stringify({ event_id: (from + i).toString(16).padStart(32, '0') })}\n{"type":"event"}\n` +
        `${JSON.stringify({ level: 'error', message: `stalled run ${from + i}`, timestamp: Date.now() / 1000 })}\n`,
    ),
    partition,
  }));
  await producer.send({ topic, messages });
  await producer.disconnect();
}

// The broker is frozen (SIGSTOP), a real fault: the run's connections stay open and its fetch is
// never answered, so KafkaJS neither fetches again nor crashes. The watch rebuilds the run.
describe('an active alerts run whose broker stops answering', () => {
  it('is rebuilt once it has fetched nothing for stallAfterMs, and reads on once the broker answers', async () => {
    const broker = await startKafka();
    try {
      const topic = uniqueName('stall');
      await createTopic(broker.brokers, topic, 2);
      const warnings: string[] = [];
      const logger: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
      const service = createAlertsService(
        {
          brokers: broker.brokers,
          topic,
          groupId: uniqueName('stall'),
          stateTopic: uniqueName('stall-state'),
          dryRun: true,
          stallAfterMs: 3000,
          logger,
        },
        {},
      );
      await service.start();
      await produce(broker.brokers, topic, 50, 0);
      await waitUntil(() => (service.stats.caughtUp && service.stats.envelopes >= 50) || undefined, {
        what: 'the active run to read 50 envelopes',
        timeoutMs: 60_000,
      });
      // A healthy run, idle for longer than stallAfterMs, is not rebuilt: it fetches every 500 ms.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      expect(warnings.filter((w) => w.includes('stalled'))).toEqual([]);

      broker.freeze();
      await waitUntil(() => warnings.find((w) => w.includes('its consumer stalled')), {
        what: 'the stalled run to be rebuilt',
        timeoutMs: 20_000,
      });
      broker.thaw();
      await produce(broker.brokers, topic, 50, 50);
      // The rebuilt run reads the lookback window again: all 100, after the 50 counted before.
      await waitUntil(() => (service.stats.caughtUp && service.stats.envelopes >= 150) || undefined, {
        what: 'the rebuilt run to read all 100 envelopes',
        timeoutMs: 60_000,
      });
      expect(warnings.filter((w) => w.includes('its consumer stalled'))).toHaveLength(1);
      await service.stop();
    } finally {
      broker.thaw();
      await broker.destroy();
    }
  }, 180_000);
});

// After a leader election, a run was seen caught up, then reading nothing more of its busy
// partition for minutes while it fetched the other every 500 ms: the stall watch saw life. That
// fault is inside KafkaJS and no broker can be made to cause it on demand, so it is injected with
// KafkaJS's own pause() on the run's real consumer (its other partition keeps being fetched).
describe('an active alerts run that fetches but no longer reads a partition', () => {
  it('is rebuilt once a partition with unread messages got no batch between two checks, and the new run reads it', async () => {
    const broker = await startKafka();
    const groupId = uniqueName('unread');
    const { consumers: runs, restore } = captureConsumers(groupId);
    try {
      const topic = uniqueName('unread');
      await createTopic(broker.brokers, topic, 2);
      const warnings: string[] = [];
      const logger: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
      const service = createAlertsService(
        {
          brokers: broker.brokers,
          topic,
          groupId,
          stateTopic: uniqueName('unread-state'),
          dryRun: true,
          stallAfterMs: 2000,
          logger,
        },
        {},
      );
      await service.start();
      await produce(broker.brokers, topic, 20, 0, 0);
      await produce(broker.brokers, topic, 20, 20, 1);
      await waitUntil(() => (service.stats.caughtUp && service.stats.envelopes >= 40) || undefined, {
        what: 'the active run to read 40 envelopes',
        timeoutMs: 60_000,
      });
      // Caught up and idle for several checks: nothing to read, nothing rebuilt.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      expect(warnings.filter((w) => w.includes('rebuilding'))).toEqual([]);

      expect(runs).toHaveLength(1);
      runs[0]?.pause([{ topic, partitions: [0] }]);
      await produce(broker.brokers, topic, 30, 40, 0);
      await produce(broker.brokers, topic, 10, 70, 1); // read: the run fetches on
      await waitUntil(() => warnings.find((w) => w.includes('stopped reading partition 0')), {
        what: 'the run that no longer reads partition 0 to be rebuilt',
        timeoutMs: 30_000,
      });
      expect(warnings.filter((w) => w.includes('its consumer stalled'))).toEqual([]);
      // The 50 read before, then the rebuilt run's lookback: all 80, the 30 the old run left included.
      await waitUntil(() => (service.stats.caughtUp && service.stats.envelopes >= 130) || undefined, {
        what: 'the rebuilt run to read all 80 envelopes',
        timeoutMs: 60_000,
      });
      expect(runs).toHaveLength(2);
      expect(warnings.filter((w) => w.includes('rebuilding'))).toHaveLength(1);
      await service.stop();
    } finally {
      restore();
      await broker.destroy();
    }
  }, 180_000);
});
