import { type Consumer, type ConsumerConfig, Kafka } from 'kafkajs';

/**
 * The consumers of `groupId` KafkaJS makes from now on, as the service under test gets them: its
 * real consumers, for a test to inject a fault KafkaJS has shown but no broker causes on demand
 * (a partition it stops reading, a seek it loses). Each is handed to `onCreate` before the service
 * sees it. `restore()` puts KafkaJS's own `Kafka.prototype.consumer` back.
 */
export function captureConsumers(
  groupId: string,
  onCreate?: (consumer: Consumer) => void,
): { consumers: Consumer[]; restore(): void } {
  const consumers: Consumer[] = [];
  const original = Kafka.prototype.consumer;
  Kafka.prototype.consumer = function (this: Kafka, config?: ConsumerConfig) {
    const created = original.call(this, config as ConsumerConfig);
    if (config?.groupId === groupId) {
      onCreate?.(created);
      consumers.push(created);
    }
    return created;
  };
  return {
    consumers,
    restore() {
      Kafka.prototype.consumer = original;
    },
  };
}
