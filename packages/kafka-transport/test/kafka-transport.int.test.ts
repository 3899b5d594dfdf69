import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@faultline/contract';
import { openSpool } from '@faultline/spool';
import {
  freePort,
  type KafkaBroker,
  readTopic,
  runNodeScript,
  startKafka,
  uniqueName,
} from '@faultline/testkit';
import { createEnvelope, type Envelope, type Event, parseEnvelope, serializeEnvelope } from '@sentry/core';
import * as Sentry from '@sentry/node';
import type { KafkaMessage } from 'kafkajs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { HEADERS, makeKafkaTransport } from '../src/index.js';

// Real broker, real SDK. The envelopes on the topic are checked with @sentry/core's own parser.
const DSN = 'http://publickey@ingest.example:9000/42';
const URL_FOR_DSN = 'http://ingest.example:9000/api/42/envelope/?sentry_version=7&sentry_key=publickey';
const spoolDir = () => mkdtempSync(join(tmpdir(), 'faultline-kt-spool-'));
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function eventIds(messages: KafkaMessage[]): string[] {
  return messages.map((m) => parseEnvelope(new Uint8Array(m.value ?? Buffer.alloc(0)))[0].event_id as string);
}
function envelopeFor(i: number): Envelope {
  const id = `${i.toString(16).padStart(8, '0')}${'0'.repeat(24)}`;
  return createEnvelope({ event_id: id, sent_at: new Date().toISOString() }, [
    [{ type: 'event' }, { event_id: id, message: `envelope ${i}`, level: 'error' } as Event],
  ]) as Envelope;
}

describe('makeKafkaTransport with the real SDK', () => {
  it('puts byte-exact envelopes on the topic, with the contract key and headers', async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('envelopes');
    const handed: Envelope[] = [];
    const factory = makeKafkaTransport({ brokers, topic, spool: { dir: spoolDir() } });
    const client = Sentry.init({ dsn: DSN, transport: factory, release: 'rt@1.0.0' });
    client?.on('beforeEnvelope', (envelope) => handed.push(structuredClone(envelope)));
    cleanups.push(() => Sentry.close(2000));
    for (let i = 0; i < 5; i++) Sentry.captureException(new Error(`failure number ${i}`));
    await Sentry.flush(5000);

    const messages = await readTopic(brokers, topic, (m) => eventIds(m).filter(Boolean).length >= 5);
    const events = messages.filter((m) => m.headers?.[HEADERS.itemTypes]?.toString() === 'event');
    expect(events).toHaveLength(5);
    for (const message of events) {
      const parsed = parseEnvelope(new Uint8Array(message.value ?? Buffer.alloc(0)));
      const original = handed.find((e) => e[0].event_id === parsed[0].event_id);
      expect(original).toBeDefined();
      // What the SDK built, plus the public DSN the contract puts in the envelope header.
      expect(parsed).toEqual([{ ...original?.[0], dsn: DSN }, original?.[1]]);
      expect(message.key?.toString()).toMatch(/^42:[0-9a-f]{32}$/);
      expect(message.headers?.[HEADERS.dsn]?.toString()).toBe(DSN);
      expect(message.headers?.[HEADERS.schema]?.toString()).toBe('1');
    }
  });

  it('drops an envelope larger than the limit, counting it in the client report', async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('envelopes');
    const factory = makeKafkaTransport({
      brokers,
      topic,
      maxMessageBytes: 20_000,
      spool: { dir: spoolDir() },
      logger: silentLogger,
    });
    Sentry.init({ dsn: DSN, transport: factory });
    cleanups.push(() => Sentry.close(2000));
    Sentry.captureException(new Error('huge'), { extra: { blob: 'x'.repeat(50_000) } });
    Sentry.captureException(new Error('small'));
    await Sentry.flush(5000);
    await Sentry.flush(5000);
    const messages = await readTopic(brokers, topic, (m) =>
      m.some((x) => x.headers?.[HEADERS.itemTypes]?.toString() === 'client_report'),
    );
    const reports: unknown[] = [];
    for (const message of messages) {
      for (const [header, payload] of parseEnvelope(new Uint8Array(message.value ?? Buffer.alloc(0)))[1]) {
        if (header.type === 'client_report')
          reports.push(...(payload as { discarded_events: unknown[] }).discarded_events);
      }
    }
    expect(reports).toContainEqual({ reason: 'send_error', category: 'error', quantity: 1 });
    const events = messages.filter((m) => m.headers?.[HEADERS.itemTypes]?.toString() === 'event');
    expect(events).toHaveLength(1);
    expect(factory.current?.stats().dropped).toBe(1);
  });
});

describe('makeKafkaTransport through broker outages', () => {
  async function brokerOnReservedPorts(): Promise<{
    ports: { broker: number; controller: number };
    brokers: string[];
  }> {
    const ports = { broker: await freePort(), controller: await freePort() };
    return { ports, brokers: [`127.0.0.1:${ports.broker}`] };
  }

  it('delivers everything sent while the broker was never up, once it starts', async () => {
    const { ports, brokers } = await brokerOnReservedPorts();
    const topic = uniqueName('late-broker');
    const factory = makeKafkaTransport({
      brokers,
      topic,
      spool: { dir: spoolDir() },
      retryBackoff: { initialMs: 200, maxMs: 1000 },
      logger: silentLogger,
    });
    const transport = factory({ url: URL_FOR_DSN, recordDroppedEvent: () => undefined });
    for (let i = 0; i < 200; i++) await transport.send(envelopeFor(i));
    // Everything is safe on disk, but not in Kafka: flush says so.
    expect(await transport.flush(2000)).toBe(false);
    expect(transport.stats()).toMatchObject({ delivered: 0, spooled: 200, inSpool: 200 });

    const broker: KafkaBroker = await startKafka({ ports });
    cleanups.push(() => broker.destroy());
    cleanups.push(() => transport.close(2000));
    const messages = await readTopic(brokers, topic, (m) => new Set(eventIds(m)).size >= 200, 60_000);
    expect(new Set(eventIds(messages)).size).toBe(200);
    expect(transport.stats()).toMatchObject({ drained: 200, inSpool: 0 });
  }, 180_000);

  it('loses nothing when the broker is killed mid-stream and restarted', async () => {
    const { ports, brokers } = await brokerOnReservedPorts();
    const broker = await startKafka({ ports });
    cleanups.push(() => broker.destroy());
    const topic = uniqueName('killed-broker');
    const factory = makeKafkaTransport({
      brokers,
      topic,
      spool: { dir: spoolDir() },
      sendTimeoutMs: 3000,
      retryBackoff: { initialMs: 200, maxMs: 1000 },
      logger: silentLogger,
    });
    const transport = factory({ url: URL_FOR_DSN, recordDroppedEvent: () => undefined });
    cleanups.push(() => transport.close(2000));
    const total = 600;
    let restarted: Promise<void> | undefined;
    for (let i = 0; i < total; i++) {
      await transport.send(envelopeFor(i));
      if (i === 200) await broker.kill(); // SIGKILL: no controlled shutdown
      if (i === 400) restarted = broker.start();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await restarted;
    await transport.flush(10_000);
    const messages = await readTopic(brokers, topic, (m) => new Set(eventIds(m)).size >= total, 90_000);
    const ids = eventIds(messages);
    expect(new Set(ids).size).toBe(total);
    // At least once: a batch in flight at the kill may arrive twice. Counted, not hidden.
    const duplicates = ids.length - new Set(ids).size;
    console.log(
      `[kafka-transport] broker killed mid-stream: ${total} sent, ${new Set(ids).size} arrived, ${duplicates} duplicates, ${transport.stats().spooled} spooled`,
    );
    expect(transport.stats().spooled).toBeGreaterThan(0);
  }, 180_000);
});

describe('makeKafkaTransport when an acknowledgement is lost', () => {
  it('drains the spool after a batch was written but its answer never came (producer replaced)', async () => {
    // Fault injected at the socket, in front of the real broker (a broker cannot be told to lose
    // one answer): the answer to one Produce request is dropped and the connection cut, then
    // connections are refused until KafkaJS gives up. The broker has written that batch; the
    // producer's idempotent sequence is rolled back, and a differently sized batch at the old
    // sequence is refused by the broker as out of order, for ever, unless the producer is replaced.
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('lost-ack');
    const fault = { armed: false, dropping: false, refuse: false };
    const socketFactory = ({
      host,
      port,
      onConnect,
    }: {
      host: string;
      port: number;
      onConnect: () => void;
    }) => {
      if (fault.refuse) return connect({ host: '127.0.0.1', port: 1 }); // ECONNREFUSED
      const socket = connect({ host, port }, onConnect);
      const write = socket.write.bind(socket) as (data: Buffer) => boolean;
      socket.write = ((data: Buffer) => {
        if (fault.armed && Buffer.isBuffer(data) && data.length > 6 && data.readInt16BE(4) === 0) {
          fault.armed = false; // a Produce request (api key 0): lose its answer
          fault.dropping = true;
        }
        return write(data);
      }) as typeof socket.write;
      const emit = socket.emit.bind(socket) as (event: string, ...args: unknown[]) => boolean;
      socket.emit = ((event: string, ...args: unknown[]) => {
        if (event === 'data' && fault.dropping) {
          fault.dropping = false;
          fault.refuse = true;
          socket.destroy(Object.assign(new Error('read ECONNRESET (injected)'), { code: 'ECONNRESET' }));
          return true;
        }
        return emit(event, ...args);
      }) as typeof socket.emit;
      return socket;
    };
    const factory = makeKafkaTransport({
      brokers,
      topic,
      spool: { dir: spoolDir() },
      sendTimeoutMs: 3000,
      retryBackoff: { initialMs: 200, maxMs: 1000 },
      kafka: { socketFactory: socketFactory as never },
      logger: silentLogger,
    });
    const transport = factory({ url: URL_FOR_DSN, recordDroppedEvent: () => undefined });
    cleanups.push(() => transport.close(2000));
    for (let i = 0; i < 10; i++) await transport.send(envelopeFor(i));
    await transport.flush(10_000);
    await readTopic(brokers, topic, (m) => m.length >= 10);
    fault.armed = true;
    for (let i = 10; i < 20; i++) await transport.send(envelopeFor(i)); // the batch whose answer is lost
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (let i = 20; i < 23; i++) await transport.send(envelopeFor(i)); // spooled meanwhile
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(fault.refuse).toBe(true); // the fault did happen
    fault.refuse = false;
    const messages = await readTopic(brokers, topic, (m) => new Set(eventIds(m)).size >= 23, 30_000);
    expect(new Set(eventIds(messages)).size).toBe(23);
  });
});

describe('makeKafkaTransport killed while it drains a backlog', () => {
  it('loses nothing when SIGKILLed mid-drain: the next process sends the rest, repeating at most two batches', async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('killed-drain');
    const total = 20_000;
    // The backlog an outage left: slot 0 of the service's spool directory, which the next process takes.
    const dir = spoolDir();
    const spool = openSpool({ dir: join(dir, '0'), maxBytes: 256 * 1024 * 1024 });
    for (let i = 0; i < total; i++) spool.append(Buffer.from(serializeEnvelope(envelopeFor(i)) as string));
    spool.close();
    const env = {
      ...process.env,
      FIXTURE_BROKERS: JSON.stringify(brokers),
      FIXTURE_TOPIC: topic,
      FIXTURE_SPOOL_DIR: dir,
      FIXTURE_REPORT_EVERY_MS: '10',
    };
    let drainedAtKill = 0;
    const first = await runNodeScript(fileURLToPath(new URL('./fixtures/drain.mjs', import.meta.url)), {
      env,
      timeoutMs: 60_000,
      onStdout: (text, child) => {
        const drained = Number(/"drained":(\d+)/.exec(text.trim().split('\n').at(-1) ?? '')?.[1] ?? 0);
        if (drained >= 2000 && drainedAtKill === 0) {
          drainedAtKill = drained;
          child.kill('SIGKILL');
        }
      },
    });
    expect(first.signal).toBe('SIGKILL');
    expect(drainedAtKill).toBeLessThan(total); // killed partway, not after the end
    // The next process of the service takes the slot over and drains the rest; stopped once its
    // spool is empty (every record acknowledged by Kafka, and recorded as sent).
    let last = '';
    const second = await runNodeScript(fileURLToPath(new URL('./fixtures/drain.mjs', import.meta.url)), {
      env,
      timeoutMs: 60_000,
      onStdout: (text, child) => {
        last = text.trim().split('\n').at(-1) ?? last;
        if (/"inSpool":0,/.test(last)) child.kill('SIGKILL');
      },
    });
    expect(second.signal).toBe('SIGKILL');
    expect(last).toMatch(/"inSpool":0,/);
    // Ids collected as messages come (parsing all of them again per message would take minutes).
    const distinct = new Set<string>();
    let read = 0;
    const messages = await readTopic(
      brokers,
      topic,
      (m) => {
        for (; read < m.length; read++) distinct.add(eventIds([m[read] as KafkaMessage])[0] as string);
        return distinct.size >= total;
      },
      60_000,
    );
    const ids = eventIds(messages);
    expect(new Set(ids).size).toBe(total);
    // At least once: the batch on its way at the kill, and the one sent but not yet recorded as
    // sent in the spool's cursor (that is written while the next batch travels), may go twice.
    const duplicates = ids.length - total;
    console.log(
      `[kafka-transport] killed after ${drainedAtKill} drained: ${total} in the backlog, all arrived, ${duplicates} duplicates`,
    );
    expect(duplicates).toBeLessThanOrEqual(2 * 200);
  }, 180_000);
});

describe('makeKafkaTransport at process.exit()', () => {
  it('keeps an error captured right before process.exit(0), with its scope, for the next process, and none the app dropped', async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('exit');
    const dir = spoolDir();
    const env = {
      PATH: process.env.PATH,
      FIXTURE_BROKERS: JSON.stringify(brokers),
      FIXTURE_TOPIC: topic,
      FIXTURE_SPOOL_DIR: dir,
      FIXTURE_DSN: DSN,
    };
    const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
    const first = await runNodeScript(fixture('capture-and-exit.mjs'), { env });
    expect(first.code).toBe(0);

    const second = await runNodeScript(fixture('drain.mjs'), { env, timeoutMs: 40_000 });
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ drained: 1 });
    const [message] = await readTopic(brokers, topic, (m) => m.length >= 1);
    const [header, items] = parseEnvelope(new Uint8Array(message?.value ?? Buffer.alloc(0)));
    expect(header.dsn).toBe(DSN);
    const event = items[0]?.[1] as Event;
    expect(event.exception?.values?.[0]?.value).toBe('lost at exit unless salvaged');
    expect(event.release).toBe('exit-test@1.0.0');
    expect(event.tags).toMatchObject({
      phase: 'shutdown',
      job: 'nightly-export',
      'faultline.salvaged': 'process.exit',
    });
    // The withScope scope's data, and the isolation scope's user, as the SDK would have applied them.
    expect(event.contexts?.batch).toEqual({ id: 42 });
    expect(event.user).toEqual({ id: 'user-7' });
    expect(event.fingerprint).toEqual(['export-failed']);
    expect(event).not.toHaveProperty('sdkProcessingMetadata');
  });
});
