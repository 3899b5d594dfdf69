import { closeSync, fsyncSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSpool } from '@faultline/spool';
import { type KafkaBroker, startKafka, uniqueName } from '@faultline/testkit';
import type { Envelope } from '@sentry/core';
import { CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, bench, describe } from 'vitest';
import {
  ingestTargetFromUrl,
  type KafkaTransport,
  makeKafkaTransport,
  toEnvelopeMessage,
} from '../src/index.js';
import { benchEnvelope } from './bench-envelope.js';

// Growth: what an envelope costs as it grows, at 1 KB, 20 KB and 1 MB (0.95 MB: the transport's
// maxMessageBytes is 1,000,000 and the topic's records carry headers), each beside its baseline
// in the same run:
// - the transport, send() then flush() to a real broker (acks -1, gzip), against raw KafkaJS
//   sending the same message bytes;
// - the spool: append (framed, CRC'd, written; fsync every second, its default), read and
//   acknowledge, against writing the same bytes to a plain file and reading them back.
// The payload is an event whose `extra` holds hex text: it compresses about 2:1, as event JSON
// with ids and stack frames does, not 100:1 as repeated text would.
const SIZES = [
  { label: '1 KB', bytes: 1_000, count: 200 },
  { label: '20 KB', bytes: 20_000, count: 100 },
  { label: '1 MB', bytes: 950_000, count: 10 },
].filter((s) => !process.env.ONLY || s.label === process.env.ONLY);
const INGEST_URL = 'http://127.0.0.1:9/api/1/envelope/?sentry_version=7&sentry_key=publickey';
const broker: KafkaBroker = await startKafka();
const kafka = new Kafka({ brokers: broker.brokers, clientId: 'bench-growth', logLevel: logLevel.NOTHING });
const topics = { raw: uniqueName('bench-growth-raw'), transport: uniqueName('bench-growth-transport') };
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({
  topics: Object.values(topics).map((topic) => ({
    topic,
    // Kafka bounds a produce request's record batch, compressed: 10 envelopes of 1 MB in one
    // batch need more than the default 1 MB.
    configEntries: [{ name: 'max.message.bytes', value: String(16 * 1024 * 1024) }],
  })),
  waitForLeaders: true,
});
await admin.disconnect();
const raw: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await raw.connect();
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-growth-'));
  dirs.push(dir);
  return dir;
};
const transport: KafkaTransport = makeKafkaTransport({
  brokers: broker.brokers,
  topic: topics.transport,
  spool: { dir: tempDir() },
})({ url: INGEST_URL, recordDroppedEvent: () => undefined });
const target = ingestTargetFromUrl(INGEST_URL);

let seed = 1;
function hex(length: number): string {
  let out = '';
  while (out.length < length) {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    out += seed.toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

function envelopeOf(bytes: number, i: number): Envelope {
  return benchEnvelope(i, { extra: { blob: hex(Math.max(0, bytes - 300)) } });
}

for (const { label, bytes, count } of SIZES) {
  const envelopes = Array.from({ length: count }, (_, i) => envelopeOf(bytes, i));
  const messages = envelopes.map((e) => toEnvelopeMessage(structuredClone(e), target).message);
  const size = messages[0]?.value.length ?? 0;
  const payloads = messages.map((m) => m.value);
  const spool = openSpool({ dir: tempDir() });
  const file = openSync(join(tempDir(), 'plain'), 'w+');
  let synced = performance.now();
  const opts = { time: 2000, warmupTime: 300 };

  describe(`growth: ${count} envelopes of ${label} (${size.toLocaleString('en-US')} bytes), to the broker`, () => {
    bench(
      'baseline: raw KafkaJS producer, same bytes',
      async () => {
        for (let i = 0; i < count; i += 50) {
          await raw.send({
            topic: topics.raw,
            messages: messages.slice(i, i + 50),
            acks: -1,
            compression: CompressionTypes.GZIP,
          });
        }
      },
      opts,
    );
    bench(
      'makeKafkaTransport: send() then flush()',
      async () => {
        for (const envelope of envelopes) transport.send(envelope);
        await transport.flush(30_000);
      },
      opts,
    );
  });

  // Both sides write the batch and read it back, so both stay bounded on disk (the spool's
  // acknowledged segments are deleted; the plain file is overwritten from its start).
  const readBack = Buffer.alloc(payloads.reduce((sum, p) => sum + p.length, 0));
  describe(`growth: ${count} envelopes of ${label}, to disk and back`, () => {
    bench(
      'baseline: written to a plain file (fsync each second) and read back',
      () => {
        let position = 0;
        for (const payload of payloads) {
          writeSync(file, payload, 0, payload.length, position);
          position += payload.length;
        }
        readSync(file, readBack, 0, position, 0);
        // The spool's durability (fsync once a second), so the figures compare like with like.
        if (performance.now() - synced >= 1000) {
          fsyncSync(file);
          synced = performance.now();
        }
      },
      opts,
    );
    bench(
      'spool: append (framed, CRC, fsync each second), read, acknowledge',
      () => {
        for (const payload of payloads) spool.append(payload);
        spool.ack(spool.read(count, Number.MAX_SAFE_INTEGER));
      },
      opts,
    );
  });
  afterAll(() => {
    spool.close();
    closeSync(file);
  });
}

afterAll(async () => {
  await transport.close(5000);
  await raw.disconnect();
  await broker.destroy();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}, 120_000);
