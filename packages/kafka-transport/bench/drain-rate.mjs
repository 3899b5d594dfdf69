// How fast the spool drains to Kafka after an outage, beside raw KafkaJS sending the same
// messages (same bytes, key and headers; batches of 200, gzip, acks -1). Both include
// connecting. Run by transport.bench.ts with BROKERS set; prints one JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSpool } from '@faultline/spool';
import { createEnvelope, serializeEnvelope } from '@sentry/core';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { makeKafkaTransport, messageFromBytes } from '../dist/index.js';

const TOTAL = Number(process.env.ENVELOPES ?? 20_000);
const brokers = JSON.parse(process.env.BROKERS);
const suffix = `${process.pid}-${Date.now()}`;
const DSN = 'http://publickey@127.0.0.1:9/1';

const records = Array.from({ length: TOTAL }, (_, i) => {
  const id = i.toString(16).padStart(32, '0');
  const envelope = createEnvelope({ event_id: id, sent_at: new Date().toISOString(), dsn: DSN }, [
    [
      { type: 'event' },
      {
        event_id: id,
        level: 'error',
        platform: 'node',
        exception: { values: [{ type: 'Error', value: `backlog failure ${i}` }] },
        tags: { service: 'bench' },
      },
    ],
  ]);
  const serialized = serializeEnvelope(envelope);
  return typeof serialized === 'string' ? Buffer.from(serialized) : Buffer.from(serialized);
});

// Baseline: raw KafkaJS, the same messages.
const kafka = new Kafka({ brokers, clientId: 'bench-drain-raw', logLevel: logLevel.NOTHING });
const raw = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
const messages = records.map((bytes) => messageFromBytes(bytes).message);
let started = performance.now();
await raw.connect();
for (let i = 0; i < TOTAL; i += 200) {
  await raw.send({
    topic: `bench-drain-raw-${suffix}`,
    messages: messages.slice(i, i + 200),
    acks: -1,
    compression: CompressionTypes.GZIP,
  });
}
const rawSeconds = (performance.now() - started) / 1000;
await raw.disconnect();

// The spool as an outage left it (in slot 0 of the service's directory, the one the next process
// takes), then a transport that finds it and drains it.
const dir = mkdtempSync(join(tmpdir(), 'faultline-drain-'));
const spool = openSpool({ dir: join(dir, '0'), maxBytes: 1024 * 1024 * 1024 });
for (const bytes of records) spool.append(bytes);
spool.close();
started = performance.now();
const transport = makeKafkaTransport({ brokers, topic: `bench-drain-spool-${suffix}`, spool: { dir } })({
  url: 'http://127.0.0.1:9/api/1/envelope/?sentry_key=publickey',
  recordDroppedEvent: () => {},
});
const drained = await transport.flush(300_000);
const drainSeconds = (performance.now() - started) / 1000;
const stats = transport.stats();
await transport.close(2000);
rmSync(dir, { recursive: true, force: true });

console.log(
  JSON.stringify({
    envelopes: TOTAL,
    baselineRawPerSecond: Math.round(TOTAL / rawSeconds),
    drainPerSecond: Math.round(TOTAL / drainSeconds),
    ratio: Number((rawSeconds / drainSeconds).toFixed(2)),
    drained: stats.drained,
    allAcknowledged: drained,
  }),
);
