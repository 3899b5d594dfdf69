import { createTopic } from '@faultline/testkit';
import { createEnvelope, type Envelope, serializeEnvelope } from '@sentry/core';
import { Kafka, logLevel } from 'kafkajs';

/** An event envelope as the Kafka transport writes it (public DSN in the header), serialized. */
export function envelopeBytes(dsn: string, i: number, extra: Record<string, unknown> = {}): Buffer {
  const eventId = `${i.toString(16).padStart(8, '0')}${'a'.repeat(24)}`;
  const envelope = createEnvelope({ event_id: eventId, sent_at: new Date().toISOString(), dsn }, [
    [
      { type: 'event' },
      { event_id: eventId, level: 'error', message: `forwarded ${i}`, platform: 'node', ...extra },
    ],
  ]) as Envelope;
  const serialized = serializeEnvelope(envelope);
  return typeof serialized === 'string' ? Buffer.from(serialized) : Buffer.from(serialized);
}

export function eventIdOf(i: number): string {
  return `${i.toString(16).padStart(8, '0')}${'a'.repeat(24)}`;
}

/** Produces raw values to a topic (creating it with `partitions` first). */
export async function produce(
  brokers: string[],
  topic: string,
  values: Buffer[],
  partitions = 1,
): Promise<void> {
  await createTopic(brokers, topic, partitions);
  const kafka = new Kafka({ brokers, clientId: 'forwarder-test', logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: values.map((value, i) => ({ key: String(i), value })) });
  await producer.disconnect();
}
