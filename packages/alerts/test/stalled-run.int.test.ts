import { type Logger, silentLogger } from '@faultline/contract';
import { createTopic, startKafka, uniqueName, waitUntil } from '@faultline/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createAlertsService } from '../src/index.js';

/** Envelopes of one error event each: the run counts every message it reads. */
async function produce(brokers: string[], topic: string, count: number, from: number): Promise<void> {
  const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  const messages = Array.from({ length: count }, (_, i) => ({
    value: Buffer.from(
      `${JSON.stringify({ event_id: (from + i).toString(16).padStart(32, '0') })}\n{"type":"event"}\n` +
        `${JSON.stringify({ level: 'error', message: `stalled run ${from + i}`, timestamp: Date.now() / 1000 })}\n`,
    ),
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
