import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, sleep } from '@faultline/contract';
import { openSpool } from '@faultline/spool';
import { waitUntil } from '@faultline/testkit';
import type { Message, Producer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { createDurableWriter } from '../src/durable-writer.js';
import { envelopeRecord } from '../src/envelope-record.js';

// The producer is a double: its requests are never answered, as a broker gone silent (frozen, or
// its host lost without a reset) leaves them, until the test lets them through. A real broker
// cannot be held in that state from a unit test; the spool is the real one.
function silentProducer() {
  const sent: string[][] = [];
  let answering = false;
  const producer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    send: ({ messages }: { messages: Message[] }) => {
      sent.push(messages.map((m) => String(m.value)));
      return answering ? Promise.resolve([]) : new Promise(() => undefined);
    },
  } as unknown as Producer;
  return { producer, sent, answer: () => (answering = true) };
}

function envelope(message: string) {
  const value = Buffer.from(`{"dsn":"http://key@127.0.0.1/1"}\n{"type":"event"}\n{"message":"${message}"}\n`);
  return envelopeRecord(value, { dsn: 'http://key@127.0.0.1/1', projectId: '1', types: ['event'] });
}

const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describe('the durable writer', () => {
  it('takes Kafka as away from a failed request until the spool is sent: later envelopes go to the spool at once, and it says so once', async () => {
    const spool = openSpool({ dir: mkdtempSync(join(tmpdir(), 'faultline-writer-')) });
    const lines: string[] = [];
    const log = (msg: string) => lines.push(msg);
    const logger: Logger = { debug: () => undefined, info: log, warn: log, error: log };
    const kafka = silentProducer();
    const writer = createDurableWriter({
      producer: kafka.producer,
      topic: 'envelopes',
      spool,
      logger,
      kafkaTimeoutMs: 200,
      lingerMs: 1,
      maxBatchBytes: 1_000_000,
      maxInFlight: 4,
    });
    stops.push(
      () => writer.stop(),
      () => spool.close(),
    );
    await writer.start();
    await waitUntil(() => writer.kafkaUp || undefined, {
      what: 'Kafka up (connected, spool empty)',
      timeoutMs: 5000,
    });
    lines.length = 0;

    // Sent, never acknowledged: after the timeout the envelope is in the spool, and Kafka is away.
    expect(await writer.write(envelope('first'))).toBe('spool');
    expect(writer.kafkaUp).toBe(false);
    // Not sent on its own while Kafka is away: straight to the spool. (Taken as up again at once,
    // it waited out a request of its own, as every request to the intake then did.)
    expect(await writer.write(envelope('second'))).toBe('spool');
    expect(kafka.sent.flat().filter((value) => value.includes('second'))).toEqual([]);
    expect(writer.kafkaUp).toBe(false);
    await sleep(500);
    expect(lines.filter((line) => line.startsWith('Kafka takes envelopes again'))).toEqual([]);

    // Kafka answers again: the drain sends the spool, oldest first, and only then is Kafka up.
    kafka.answer();
    await waitUntil(() => writer.kafkaUp || undefined, { what: 'the spool sent', timeoutMs: 10_000 });
    expect(spool.stats().records).toBe(0);
    const last = kafka.sent.at(-1) ?? [];
    expect(last.map((value) => /"message":"(\w+)"/.exec(value)?.[1])).toEqual(['first', 'second']);
    expect(lines.filter((line) => line.startsWith('Kafka is not taking envelopes'))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('Kafka takes envelopes again'))).toHaveLength(1);
  });
});
