// How fast the spool drains to Kafka after an outage, beside raw KafkaJS sending the same
// messages (same bytes, key and headers; batches of 200, gzip, acks -1). Both include
// connecting; each side's fastest of ROUNDS (default 3) counts. Run by transport.bench.ts with
// BROKERS set; prints one JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSpool } from '@faultline/spool';
import { createEnvelope, serializeEnvelope } from '@sentry/core';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { makeKafkaTransport, messageFromBytes } from '../dist/index.js';

const TOTAL = Number(process.env.ENVELOPES ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
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

const kafka = new Kafka({ brokers, clientId: 'bench-drain-raw', logLevel: logLevel.NOTHING });
const messages = records.map((bytes) => messageFromBytes(bytes).message);
// Each run writes to a topic of its own, made before the clock starts: a topic created on the
// first send would charge its creation to whichever side sent first.
async function makeTopic(topic) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  return topic;
}

/** Raw KafkaJS sending the same messages, connecting included. Seconds. */
async function baseline(round) {
  const topic = await makeTopic(`bench-drain-raw-${suffix}-${round}`);
  const raw = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const started = performance.now();
  await raw.connect();
  for (let i = 0; i < TOTAL; i += 200) {
    await raw.send({
      topic,
      messages: messages.slice(i, i + 200),
      acks: -1,
      compression: CompressionTypes.GZIP,
    });
  }
  const seconds = (performance.now() - started) / 1000;
  await raw.disconnect();
  return seconds;
}

/**
 * The spool as an outage left it (in slot 0 of the service's directory, the one the next process
 * takes), then a transport that finds it and drains it, connecting included. Seconds.
 */
async function drain(round) {
  const topic = await makeTopic(`bench-drain-spool-${suffix}-${round}`);
  const dir = mkdtempSync(join(tmpdir(), 'faultline-drain-'));
  const spool = openSpool({ dir: join(dir, '0'), maxBytes: 1024 * 1024 * 1024 });
  for (const bytes of records) spool.append(bytes);
  spool.close();
  const started = performance.now();
  const transport = makeKafkaTransport({ brokers, topic, spool: { dir } })({
    url: 'http://127.0.0.1:9/api/1/envelope/?sentry_key=publickey',
    recordDroppedEvent: () => {},
  });
  const acknowledged = await transport.flush(300_000);
  const seconds = (performance.now() - started) / 1000;
  const { drained } = transport.stats();
  await transport.close(2000);
  rmSync(dir, { recursive: true, force: true });
  return { seconds, drained, acknowledged };
}

// Rounds alternate the two, and each side's fastest counts: the first send of a process also
// compiles KafkaJS's encoders, which would otherwise be charged to whichever ran first.
const rawRuns = [];
const drainRuns = [];
for (let round = 0; round < ROUNDS; round++) {
  rawRuns.push(await baseline(round));
  drainRuns.push(await drain(round));
}
const rawSeconds = Math.min(...rawRuns);
const best = drainRuns.reduce((a, b) => (b.seconds < a.seconds ? b : a));
const drainSeconds = best.seconds;
console.log(
  JSON.stringify({
    envelopes: TOTAL,
    baselineRawPerSecond: Math.round(TOTAL / rawSeconds),
    drainPerSecond: Math.round(TOTAL / drainSeconds),
    ratio: Number((rawSeconds / drainSeconds).toFixed(2)),
    rounds: ROUNDS,
    drained: Math.min(...drainRuns.map((run) => run.drained)),
    allAcknowledged: drainRuns.every((run) => run.acknowledged),
  }),
);
