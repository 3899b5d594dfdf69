import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnvelopeBytes, silentLogger } from '@faultline/contract';
import { createTopic, freePort, readTopic, spawnService, uniqueName, waitUntil } from '@faultline/testkit';
import type { KafkaMessage } from 'kafkajs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createIntake } from '../src/index.js';

// The intake as operators run it: its bin, settings from FAULTLINE_INTAKE_*, killed and
// restarted; and an in-process one stopped gracefully with a request half sent.
const BIN = fileURLToPath(new URL('../bin/faultline-intake.mjs', import.meta.url));
const KEY = 'c0c1c2c3c4c5c6c7c8c9cacbcccdcecf';
const UPSTREAM = `https://${KEY}@o1.ingest.example.com/808`;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const envelopeFor = (id: string) =>
  `${JSON.stringify({ event_id: id })}\n{"type":"event"}\n${JSON.stringify({ event_id: id, message: `m ${id}` })}\n`;
const eventIds = (messages: KafkaMessage[]) =>
  new Set(
    messages.flatMap((m) => {
      const parsed = parseEnvelopeBytes(m.value as Buffer);
      return parsed.ok ? [String(parsed.header.event_id)] : [];
    }),
  );

async function startBin(env: Record<string, string>, logFile: string) {
  const port = Number(env.FAULTLINE_INTAKE_PORT);
  const service = spawnService(process.execPath, [BIN], {
    env: { PATH: process.env.PATH, FAULTLINE_INTAKE_DSNS: UPSTREAM, ...env },
    logFile,
  });
  cleanups.push(() => service.stop('SIGKILL'));
  await waitUntil(
    async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200,
    {
      what: 'the intake to be ready',
      timeoutMs: 20_000,
      describeFailure: () => readFileSync(logFile, 'utf8'),
    },
  );
  return service;
}

describe('the faultline-intake process', () => {
  it('loses nothing it accepted across a SIGKILL: the spool is sent to Kafka at the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'intake-kill-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const topic = uniqueName('intake-sigkill');
    await createTopic(inject('kafkaBrokers'), topic);
    const port = await freePort();
    const env = {
      FAULTLINE_INTAKE_PORT: String(port),
      FAULTLINE_INTAKE_HOST: '127.0.0.1',
      FAULTLINE_INTAKE_TOPIC: topic,
      FAULTLINE_INTAKE_SPOOL_DIR: join(dir, 'spool'),
      FAULTLINE_INTAKE_KAFKA_TIMEOUT_MS: '500',
    };
    // First run: Kafka away (a port nothing listens on), so what it accepts is in its spool only.
    const away = `127.0.0.1:${await freePort()}`;
    const first = await startBin({ ...env, FAULTLINE_KAFKA_BROKERS: away }, join(dir, 'first.log'));
    const ids = Array.from({ length: 30 }, (_, i) => `${String(i).padStart(2, '0')}${'a'.repeat(30)}`);
    const statuses = await Promise.all(
      ids.map((id) =>
        fetch(`http://127.0.0.1:${port}/api/808/envelope/?sentry_key=${KEY}`, {
          method: 'POST',
          body: envelopeFor(id),
        }).then((r) => r.status),
      ),
    );
    expect(statuses).toEqual(ids.map(() => 200));
    await first.stop('SIGKILL');

    // Second run, same spool, Kafka there: every accepted envelope reaches the topic.
    await startBin(
      { ...env, FAULTLINE_KAFKA_BROKERS: inject('kafkaBrokers').join(',') },
      join(dir, 'second.log'),
    );
    const messages = await readTopic(inject('kafkaBrokers'), topic, (m) => eventIds(m).size >= 30).catch(
      (error) => {
        throw new Error(
          `${error.message}\nthe intake's log:\n${readFileSync(join(dir, 'second.log'), 'utf8')}`,
        );
      },
    );
    expect(eventIds(messages)).toEqual(new Set(ids));
    // Its log is JSON lines; it says it found the earlier run's envelopes.
    const lines = readFileSync(join(dir, 'second.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.find((l) => l.msg.includes('from an earlier run'))?.envelopes).toBe(30);
  });

  it('lists every configuration problem at once, and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'intake-config-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const service = spawnService(process.execPath, [BIN, '--port', 'eighty'], {
      env: {
        PATH: process.env.PATH,
        FAULTLINE_INTAKE_RATE_LIMITS: 'error=lots',
        FAULTLINE_INTAKE_SCRUB: 'nonsense',
      },
      logFile: join(dir, 'log'),
    });
    expect(await service.exited).toBe(2);
    const log = readFileSync(join(dir, 'log'), 'utf8');
    expect(log).toContain('5 problems');
    for (const source of [
      '--port',
      'FAULTLINE_INTAKE_RATE_LIMITS',
      'FAULTLINE_INTAKE_SCRUB',
      'FAULTLINE_INTAKE_DSNS',
      'FAULTLINE_KAFKA_BROKERS',
    ]) {
      expect(log).toContain(source);
    }
  });
});

describe('graceful shutdown', () => {
  it('answers a request in flight before it stops, and that envelope is in Kafka', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'intake-drain-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const topic = uniqueName('intake-drain');
    await createTopic(inject('kafkaBrokers'), topic);
    const intake = createIntake({
      brokers: inject('kafkaBrokers'),
      dsns: [UPSTREAM],
      topic,
      port: 0,
      host: '127.0.0.1',
      spool: { dir },
      logger: silentLogger,
    });
    await intake.start();
    const id = 'd'.repeat(32);
    const body = envelopeFor(id);
    // Half the body now, the rest after stop() has begun.
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: intake.port,
          method: 'POST',
          path: `/api/808/envelope/?sentry_key=${KEY}`,
          headers: { 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c)).on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 20));
      setTimeout(() => req.end(body.slice(20)), 500);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopping = intake.stop();
    expect(intake.isReady()).toBe(false);
    expect(await answer).toEqual({ status: 200, text: JSON.stringify({ id }) });
    await stopping;
    const messages = await readTopic(inject('kafkaBrokers'), topic, (m) => eventIds(m).has(id));
    expect(eventIds(messages)).toEqual(new Set([id]));
  });
});
