import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  decodeObservationsHeader,
  MESSAGE_HEADERS,
  observeItem,
  parseDsn,
  parseEnvelopeBytes,
  silentLogger,
} from '@faultline/contract';
import { createForwarder, type Forwarder } from '@faultline/forwarder';
import {
  type BugsinkClient,
  connectBugsink,
  createTopic,
  ensurePythonSdk,
  type KafkaBroker,
  readTopic,
  runNodeScript,
  startKafka,
  uniqueName,
  waitUntil,
} from '@faultline/testkit';
import type { KafkaMessage } from 'kafkajs';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createIntake, type Intake, type IntakeOptions } from '../src/index.js';

// Real parts end to end: Sentry's own SDKs (Python from PyPI, @sentry/node's stock transport)
// send to the intake, which writes to a real broker; the forwarder delivers into Bugsink.
const execFileAsync = promisify(execFile);
let bugsink: BugsinkClient;
let python: string;
const intakes: Intake[] = [];
const forwarders: Forwarder[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
beforeAll(() => {
  bugsink = connectBugsink(inject('bugsink'));
  python = ensurePythonSdk();
});
afterEach(async () => {
  for (const forwarder of forwarders.splice(0)) await forwarder.stop();
  for (const intake of intakes.splice(0)) await intake.stop();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function startIntake(options: Partial<IntakeOptions> & Pick<IntakeOptions, 'dsns'>): Promise<Intake> {
  const dir = mkdtempSync(join(tmpdir(), 'intake-spool-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const intake = createIntake({
    brokers: inject('kafkaBrokers'),
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger,
    ...options,
    spool: { dir, ...options.spool },
  });
  intakes.push(intake);
  await intake.start();
  return intake;
}

/** The DSN an SDK is given: the upstream DSN's key and project, the intake's host. */
function intakeDsn(upstream: string, intake: Intake): string {
  const dsn = parseDsn(upstream);
  if (!dsn) throw new Error('not a DSN');
  return `http://${dsn.publicKey}@127.0.0.1:${intake.port}/${dsn.projectId}`;
}

async function runPython(env: Record<string, string>, timeout = 60_000) {
  const { stdout } = await execFileAsync(
    python,
    [fileURLToPath(new URL('./fixtures/python-service.py', import.meta.url))],
    { env: { PATH: process.env.PATH, ...env }, timeout },
  );
  const lines = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { kind?: string; id?: string; done?: boolean });
  expect(lines.at(-1)).toEqual({ done: true });
  return lines;
}

async function deliver(topic: string, dsn: string, brokers = inject('kafkaBrokers')) {
  const forwarder = createForwarder({
    brokers,
    topic,
    groupId: uniqueName('intake-forwarder'),
    allowedDsns: [dsn],
    logger: silentLogger,
  });
  forwarders.push(forwarder);
  await forwarder.start();
}

/** The items of a topic's messages: `[type, payload]` pairs. */
function itemsOf(messages: KafkaMessage[]): Array<[string, unknown]> {
  return messages.flatMap((m) => {
    const parsed = parseEnvelopeBytes(m.value as Buffer);
    if (!parsed.ok) return [];
    return parsed.items.map((item): [string, unknown] => {
      try {
        return [item.header.type, JSON.parse(item.payload.toString('utf8'))];
      } catch {
        return [item.header.type, item.payload.toString('utf8')];
      }
    });
  });
}

/** Quotas are minutes aligned to the clock: keep a test from straddling one's end. */
async function awayFromMinuteEdge(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 15_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
}

describe('Sentry SDKs through the intake', () => {
  it("Python's sentry-sdk: errors, messages and a trimmed event reach Bugsink, scrubbed", async () => {
    const project = await bugsink.createProject('intake-python');
    const topic = uniqueName('intake-python');
    await createTopic(inject('kafkaBrokers'), topic);
    const intake = await startIntake({ dsns: [project.dsn], topic });
    const lines = await runPython({ MODE: 'e2e', INTAKE_DSN: intakeDsn(project.dsn, intake) });
    const ids = lines.filter((l) => l.id).map((l) => l.id as string);
    expect(ids).toHaveLength(6);

    await deliver(topic, project.dsn);
    const events = await bugsink.waitForEvents(project.id, 6, 30_000);
    expect(new Set(events.map((e) => e.event_id.replace(/-/g, '')))).toEqual(new Set(ids));
    const crumbs = events.find((e) => e.event_id.replace(/-/g, '') === lines.at(-2)?.id);
    const values = (crumbs?.data.breadcrumbs as { values: Array<{ message: string }> } | undefined)?.values;
    expect(values).toHaveLength(100);
    expect(values?.at(-1)?.message).toBe('crumb 149');
    expect(intake.figures.trimmedBreadcrumbs).toBe(50);
    expect(JSON.stringify(events)).not.toContain('4111 1111 1111 1111');
    expect(JSON.stringify(crumbs?.data.extra)).toContain('[Filtered]');
    // The transaction went to the topic with the events (Bugsink itself stores no transactions).
    const messages = await readTopic(inject('kafkaBrokers'), topic, (m) =>
      itemsOf(m).some(([type]) => type === 'transaction'),
    );
    const transaction = itemsOf(messages).find(([type]) => type === 'transaction')?.[1] as {
      transaction: string;
      spans: unknown[];
    };
    expect(transaction.transaction).toBe('python-job');
    expect(transaction.spans).toHaveLength(1);
  });

  it('@sentry/node with its stock transport: the topic holds the message contract, the upstream DSN in it', async () => {
    const upstream = 'https://0123456789abcdef0123456789abcdef@o1.ingest.example.com/4242';
    const topic = uniqueName('intake-node');
    await createTopic(inject('kafkaBrokers'), topic);
    const intake = await startIntake({ dsns: [upstream], topic });
    const run = await runNodeScript(fileURLToPath(new URL('./fixtures/node-service.mjs', import.meta.url)), {
      env: { PATH: process.env.PATH, INTAKE_DSN: intakeDsn(upstream, intake) },
      timeoutMs: 30_000,
    });
    const { ids, flushed } = JSON.parse(run.stdout.trim().split('\n').at(-1) as string);
    expect(flushed).toBe(true);
    const messages = await readTopic(
      inject('kafkaBrokers'),
      topic,
      (m) =>
        itemsOf(m).filter(([type]) => type === 'event').length >= 4 &&
        itemsOf(m).some(([type]) => type === 'transaction' || type === 'span'),
      15_000,
    ).catch((error) => {
      throw new Error(`${error.message}; intake figures: ${JSON.stringify(intake.figures)}`);
    });
    const events = itemsOf(messages).filter(([type]) => type === 'event');
    expect(events.map(([, e]) => (e as { event_id: string }).event_id).sort()).toEqual([...ids].sort());
    // SDK 11 streams spans by default: `span` items, no transaction.
    expect(itemsOf(messages).some(([type]) => type === 'transaction' || type === 'span')).toBe(true);
    for (const message of messages) {
      expect(message.headers?.[MESSAGE_HEADERS.dsn]?.toString()).toBe(upstream);
      expect(message.headers?.[MESSAGE_HEADERS.schema]?.toString()).toBe('1');
      // `<project>:<trace or event id>`; a session envelope has neither.
      expect(message.key?.toString()).toMatch(/^4242:([0-9a-f]{32})?$/);
      const parsed = parseEnvelopeBytes(message.value as Buffer);
      expect(parsed.ok && parsed.header.dsn).toBe(upstream);
      // What the alerts count in it, from the JSON the intake parsed anyway: the same as they would
      // read from the bytes that landed.
      const header = message.headers?.[MESSAGE_HEADERS.observations];
      expect(header, 'no observations header').toBeInstanceOf(Buffer);
      expect(decodeObservationsHeader(header as Buffer)).toEqual(
        itemsOf([message]).flatMap(([type, payload]) => observeItem('4242', type, payload)),
      );
    }
    // The four events, each counted once with its title, and at least one operation.
    const observed = messages.flatMap(
      (m) => decodeObservationsHeader(m.headers?.[MESSAGE_HEADERS.observations] as Buffer) ?? [],
    );
    expect(observed.filter((o) => o.kind === 'error')).toHaveLength(4);
    expect(observed.every((o) => o.kind !== 'error' || (o.weight === 1 && o.title !== ''))).toBe(true);
    expect(observed.some((o) => o.kind === 'duration')).toBe(true);
    // The large event came gzipped (the SDK compresses bodies over 32 KB) and was decoded.
    expect(intake.figures.bytesDecoded).toBeGreaterThan(intake.figures.bytesReceived);
  });

  it("Python's sentry-sdk backs off on the intake's 429 and counts ratelimit_backoff; the intake reports its refusal", async () => {
    await awayFromMinuteEdge();
    const upstream = 'https://fedcba9876543210fedcba9876543210@o1.ingest.example.com/77';
    const topic = uniqueName('intake-429');
    await createTopic(inject('kafkaBrokers'), topic);
    const intake = await startIntake({
      dsns: [upstream],
      topic,
      rateLimits: { error: 3 },
      outcomeIntervalMs: 300,
    });
    await runPython({ MODE: 'burst', COUNT: '10', INTAKE_DSN: intakeDsn(upstream, intake) });
    // 3 accepted, the 4th refused with 429; the SDK then sent no error for the window.
    expect(intake.figures.requests['429']).toBe(1);
    expect(intake.figures.items['accepted:error']).toBe(3);
    const backoffs = (messages: KafkaMessage[]) =>
      itemsOf(messages)
        .filter(([type]) => type === 'client_report')
        .flatMap(
          ([, report]) => (report as { discarded_events: Array<Record<string, unknown>> }).discarded_events,
        )
        .filter((d) => d.reason === 'ratelimit_backoff' && d.category === 'error')
        .reduce((sum, d) => sum + Number(d.quantity), 0);
    // The SDK's own client reports count the 6 errors it held back; the intake's, the 1 it
    // refused: 7 in Sentry's stats, each counted once.
    const messages = await readTopic(inject('kafkaBrokers'), topic, (m) => backoffs(m) >= 7);
    expect(backoffs(messages)).toBe(7);
    expect(intake.figures.outcomesReported).toBeGreaterThanOrEqual(1);
  });
});

describe('scaling out', () => {
  it('two instances each enforce half the quota: spread evenly they admit the quota, pinned only a half', async () => {
    await awayFromMinuteEdge();
    const key = '11112222333344445555666677778888';
    const dsns = [`https://${key}@o1.ingest.example.com/1`, `https://${key}@o1.ingest.example.com/2`];
    const topic = uniqueName('intake-two');
    await createTopic(inject('kafkaBrokers'), topic);
    const options = { dsns, topic, rateLimits: { error: 10 }, instances: 2 };
    const a = await startIntake(options);
    const b = await startIntake(options);
    const send = (intake: Intake, project: number) =>
      fetch(`http://127.0.0.1:${intake.port}/api/${project}/envelope/`, {
        method: 'POST',
        headers: { 'x-sentry-auth': `Sentry sentry_key=${key}, sentry_version=7` },
        body: `{}\n{"type":"event"}\n{"message":"m"}\n`,
      }).then((r) => r.status);
    const spread: number[] = [];
    for (let i = 0; i < 12; i++) spread.push(await send(i % 2 === 0 ? a : b, 1));
    expect(spread.filter((s) => s === 200)).toHaveLength(10);
    expect(spread.filter((s) => s === 429)).toHaveLength(2);
    const pinned: number[] = [];
    for (let i = 0; i < 8; i++) pinned.push(await send(a, 2));
    expect(pinned.filter((s) => s === 200)).toHaveLength(5);
  });
});

describe('durability', () => {
  it("answers 413 for an envelope over the topic's max.message.bytes, and lands the others of its batch", async () => {
    const upstream = 'https://99990000999900009999000099990000@o1.ingest.example.com/31';
    const topic = uniqueName('intake-too-large');
    await createTopic(inject('kafkaBrokers'), topic, 1, { 'max.message.bytes': '8000' });
    const intake = await startIntake({ dsns: [upstream], topic, lingerMs: 50 });
    // start() does not wait for Kafka: until its first connection, envelopes go to the spool,
    // where the topic's size limit is not known. This test is about the Kafka path.
    await waitUntil(
      async () =>
        ((await (await fetch(`http://127.0.0.1:${intake.port}/readyz`)).json()) as { kafka: string })
          .kafka === 'up',
      { what: 'the intake to reach Kafka', timeoutMs: 15_000 },
    );
    const send = (id: string, padding: number) =>
      fetch(`http://127.0.0.1:${intake.port}/api/31/envelope/?sentry_key=99990000999900009999000099990000`, {
        method: 'POST',
        body: `{"event_id":"${id}"}\n{"type":"event"}\n${JSON.stringify({ message: 'x'.repeat(padding) })}\n`,
      }).then((r) => r.status);
    // Sent together, so that they share one produce request.
    const statuses = await Promise.all([
      send('a'.repeat(32), 10),
      send('b'.repeat(32), 20_000),
      send('c'.repeat(32), 10),
    ]);
    expect(statuses).toEqual([200, 413, 200]);
    const messages = await readTopic(inject('kafkaBrokers'), topic, (m) => m.length >= 2);
    expect(
      messages.map((m) => parseEnvelopeBytes(m.value as Buffer)).map((p) => p.ok && p.header.event_id),
    ).toEqual(['a'.repeat(32), 'c'.repeat(32)]);
    expect(intake.figures.envelopes).toMatchObject({ kafka: 2, too_large: 1 });
    expect(intake.isReady()).toBe(true); // Kafka is not "down" for it
  });

  it('a broker SIGKILL while Python sends: every envelope the intake accepted reaches Bugsink', async () => {
    const broker: KafkaBroker = await startKafka();
    cleanups.push(() => broker.destroy());
    const project = await bugsink.createProject('intake-broker-kill');
    const topic = uniqueName('intake-kill');
    await createTopic(broker.brokers, topic);
    const intake = await startIntake({
      dsns: [project.dsn],
      topic,
      brokers: broker.brokers,
      kafkaTimeoutMs: 1000,
    });
    const sending = runPython({
      MODE: 'stream',
      COUNT: '60',
      INTERVAL_MS: '50',
      INTAKE_DSN: intakeDsn(project.dsn, intake),
    });
    await new Promise((resolve) => setTimeout(resolve, 800));
    await broker.kill();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await broker.start();
    const lines = await sending;
    const ids = lines.filter((l) => l.id).map((l) => l.id as string);
    expect(ids).toHaveLength(60);
    expect(intake.figures.envelopes.spool ?? 0).toBeGreaterThan(0); // the outage was real
    expect(intake.figures.requests['200']).toBe(60);
    await deliver(topic, project.dsn, broker.brokers);
    const events = await bugsink.waitForEvents(project.id, 60, 60_000);
    expect(new Set(events.map((e) => e.event_id.replace(/-/g, '')))).toEqual(new Set(ids));
  }, 180_000);
});
