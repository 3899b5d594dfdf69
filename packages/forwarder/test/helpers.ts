import { fileURLToPath } from 'node:url';
import { createIngestDouble, createTopic, type IngestDouble } from '@faultline/testkit';
import { createEnvelope, type Envelope, serializeEnvelope } from '@sentry/core';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach } from 'vitest';

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
  // In slices: one request for tens of thousands would pass the broker's message size limit.
  for (let from = 0; from < values.length; from += 5000) {
    await producer.send({
      topic,
      messages: values.slice(from, from + 5000).map((value, i) => ({ key: String(from + i), value })),
    });
  }
  await producer.disconnect();
}

/** The event ids the ingest double accepted (2xx), client reports and other id-less envelopes aside. */
export function deliveredIds(ingest: IngestDouble): Set<string> {
  return new Set(
    ingest.requests
      .filter((r) => r.status === 200 && r.envelope?.[0].event_id)
      .map((r) => r.envelope?.[0].event_id as string),
  );
}

/** The CLI as users run it (the built package's bin). */
export const forwarderCli = fileURLToPath(new URL('../bin/faultline-forwarder.mjs', import.meta.url));

/**
 * Registers an afterEach that runs what the test deferred, last first, and returns `defer`.
 * Also offers `double()`: an ingest double closed after the test.
 */
export function useCleanups() {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  const defer = (cleanup: () => Promise<unknown>) => {
    cleanups.push(cleanup);
  };
  const double = async (port?: number): Promise<IngestDouble> => {
    const ingest = await createIngestDouble({ port });
    defer(() => ingest.close());
    return ingest;
  };
  return { defer, double };
}
