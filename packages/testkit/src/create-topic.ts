import { waitForTopicLeaders } from '@faultline/contract';
import { Kafka, logLevel } from 'kafkajs';
import { quietKafkaJsTimers } from './kafkajs-negative-timeout.js';

/**
 * What a broker answers for a while after it was frozen or restarted: its controller fenced it
 * (no heartbeat for `broker.session.timeout.ms`), so for a moment no broker is registered to hold
 * a replica (INVALID_REPLICATION_FACTOR), or the controller is still catching up (REQUEST_TIMED_OUT).
 * KafkaJS's admin gives up on both at once.
 */
const TRANSIENT = new Set(['INVALID_REPLICATION_FACTOR', 'REQUEST_TIMED_OUT', 'NOT_CONTROLLER']);
/** How long a transient answer is tried again: a fenced broker registers again within a second or two. */
const TRANSIENT_FOR_MS = 20_000;

/**
 * Creates a topic and waits for its leaders (KafkaJS cannot subscribe to a topic that does not
 * exist yet). An existing topic is left as it is.
 */
export async function createTopic(
  brokers: string[],
  topic: string,
  partitions = 1,
  config: Record<string, string> = {},
): Promise<void> {
  quietKafkaJsTimers();
  const admin = new Kafka({
    brokers,
    clientId: 'faultline-testkit-admin',
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const deadline = Date.now() + TRANSIENT_FOR_MS;
    for (;;) {
      try {
        await admin.createTopics({
          topics: [
            {
              topic,
              numPartitions: partitions,
              configEntries: Object.entries(config).map(([name, value]) => ({ name, value })),
            },
          ],
          waitForLeaders: false,
        });
        break;
      } catch (error) {
        const types = errorTypes(error);
        const transient = types.length > 0 && types.every((type) => TRANSIENT.has(type));
        if (!transient || Date.now() >= deadline) {
          throw new Error(`could not create the topic ${topic}: ${types.join(', ') || String(error)}`, {
            cause: error,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    await waitForTopicLeaders(admin, [topic]);
  } finally {
    await admin.disconnect();
  }
}

/** The Kafka error types in what KafkaJS threw: one per topic for an aggregate. */
function errorTypes(error: unknown): string[] {
  const nested = (error as { errors?: unknown } | undefined)?.errors;
  const errors = Array.isArray(nested) ? nested : [error];
  return errors.map((e) => (e as { type?: string }).type ?? '').filter(Boolean);
}
