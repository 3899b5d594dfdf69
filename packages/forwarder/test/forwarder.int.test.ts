import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEAD_LETTER_HEADERS, silentLogger } from '@faultline/contract';
import {
  type BugsinkClient,
  connectBugsink,
  createIngestDouble,
  freePort,
  type IngestDouble,
  readTopic,
  runNodeScript,
  uniqueName,
  waitUntil,
} from '@faultline/testkit';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createForwarder, type Forwarder, type ForwarderOptions } from '../src/index.js';
import { deliveredIds, envelopeBytes, eventIdOf, produce } from './helpers.js';

// Real broker throughout. Bugsink (a real Sentry-protocol server) checks correctness end to end;
// the ingest double injects what Bugsink can't produce on demand (429 with Retry-After, 503,
// an ingest that is down, a host that must never be called).
let bugsink: BugsinkClient;
const running: Forwarder[] = [];
const doubles: IngestDouble[] = [];
beforeAll(() => {
  bugsink = connectBugsink(inject('bugsink'));
});
afterEach(async () => {
  for (const forwarder of running.splice(0)) await forwarder.stop();
  for (const double of doubles.splice(0)) await double.close();
});

async function forwarder(
  options: Partial<ForwarderOptions> & Pick<ForwarderOptions, 'topic' | 'allowedDsns'>,
) {
  const instance = createForwarder({
    brokers: inject('kafkaBrokers'),
    groupId: uniqueName('forwarder'),
    retryBackoff: { initialMs: 200, maxMs: 1000 },
    logger: silentLogger,
    ...options,
  });
  running.push(instance);
  await instance.start();
  return instance;
}
async function double(port?: number) {
  const ingest = await createIngestDouble({ port });
  doubles.push(ingest);
  return ingest;
}

describe('forwarder end to end', () => {
  it('delivers what a service captured through Kafka: Bugsink stores exactly N', async () => {
    const project = await bugsink.createProject('forwarder-e2e');
    const topic = uniqueName('envelopes');
    const n = 25;
    const service = await runNodeScript(fileURLToPath(new URL('./fixtures/service.mjs', import.meta.url)), {
      env: {
        PATH: process.env.PATH,
        SENTRY_DSN: project.dsn,
        FAULTLINE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
        FAULTLINE_KAFKA_TOPIC: topic,
        FAULTLINE_SPOOL_DIR: join(tmpdir(), uniqueName('forwarder-e2e-spool')),
        FIXTURE_ERRORS: String(n),
      },
      timeoutMs: 60_000,
    });
    expect(service.stdout).toContain('closed: true');
    await forwarder({ topic, allowedDsns: [project.dsn] });
    const events = await bugsink.waitForEvents(project.id, n, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await bugsink.events(project.id)).toHaveLength(n);
    expect(new Set(events.map((e) => JSON.stringify(e.data.exception))).size).toBe(n);
  });

  it('drops and reports spans a server refuses for a day, instead of holding them and the window', async () => {
    // Bugsink takes no spans: every answer carries `X-Sentry-Rate-Limits: 86400:transaction;span`.
    const project = await bugsink.createProject('forwarder-spans');
    const topic = uniqueName('spans');
    const spans = (i: number) =>
      Buffer.from(
        `${JSON.stringify({ sent_at: new Date().toISOString(), dsn: project.dsn })}\n` +
          `${JSON.stringify({ type: 'span', item_count: 2, content_type: 'application/vnd.sentry.items.span.v2+json' })}\n` +
          `${JSON.stringify({ items: [0, 1].map((k) => ({ trace_id: 'c'.repeat(32), span_id: `${i}${k}`.padStart(16, '0'), name: 'GET /', start_timestamp: 1, end_timestamp: 2, is_segment: k === 0, status: 'ok' })) })}\n`,
      );
    // An error first (its answer brings the limit), then spans and errors interleaved.
    const values = [envelopeBytes(project.dsn, 0)];
    for (let i = 1; i <= 20; i++) values.push(spans(i), envelopeBytes(project.dsn, i));
    await produce(inject('kafkaBrokers'), topic, [values[0] as Buffer]);
    const f = await forwarder({ topic, allowedDsns: [project.dsn], outcomesIntervalMs: 500 });
    await bugsink.waitForEvents(project.id, 1, 30_000);
    await produce(inject('kafkaBrokers'), topic, values.slice(1));

    await bugsink.waitForEvents(project.id, 21, 30_000);
    await waitUntil(() => (f.metrics.inFlight === 0 && f.metrics.outcomesSent > 0 ? true : undefined), {
      what: 'nothing held, outcomes sent',
      timeoutMs: 30_000,
    });
    expect(f.metrics.delivered).toBe(21);
    expect(f.metrics.dropped.rate_limited).toBe(20);
    expect(f.metrics.waitingForRateLimit).toBe(0);
    // The drop is told to the project, as an SDK tells a ratelimit_backoff.
    let reported = 0;
    for (const bytes of await bugsink.envelopes(project.id)) {
      for (const line of bytes.toString('utf8').split('\n')) {
        const report = line.includes('discarded_events') ? JSON.parse(line) : undefined;
        for (const entry of report?.discarded_events ?? []) {
          if (entry.reason === 'ratelimit_backoff' && entry.category === 'span') reported += entry.quantity;
        }
      }
    }
    expect(reported).toBe(40);
  });
});

describe('forwarder under ingest faults (ingest double)', () => {
  it('honours 429 with Retry-After: pauses, then delivers everything, dropping nothing', async () => {
    const ingest = await double();
    ingest.respondWith({ status: 429, headers: { 'retry-after': '2' } });
    const topic = uniqueName('envelopes');
    await produce(
      inject('kafkaBrokers'),
      topic,
      [0, 1, 2, 3, 4].map((i) => envelopeBytes(ingest.dsn(3), i)),
    );
    const f = await forwarder({ topic, allowedDsns: ['publickey'], allowedHosts: ['127.0.0.1'] });
    await waitUntil(() => deliveredIds(ingest).size === 5 || undefined, {
      what: '5 deliveries',
      timeoutMs: 20_000,
    });
    expect(f.metrics.rateLimited).toBe(1);
    expect(f.metrics.waitingForRateLimit).toBe(0);
    const [limited] = ingest.requests;
    expect(limited?.status).toBe(429);
    // The same envelope again, after the limit (2 s) ended.
    const again = ingest.requests.find(
      (r, i) => i > 0 && r.envelope?.[0].event_id === limited?.envelope?.[0].event_id,
    );
    expect(again?.status).toBe(200);
    expect((again?.receivedAt ?? 0) - (limited?.answeredAt ?? 0)).toBeGreaterThanOrEqual(1900);
    expect([...deliveredIds(ingest)].sort()).toEqual([0, 1, 2, 3, 4].map(eventIdOf).sort());
  });

  it('retries 503s with backoff until the ingest recovers', async () => {
    const ingest = await double();
    ingest.respondWith({ status: 503 }, 3);
    const topic = uniqueName('envelopes');
    await produce(
      inject('kafkaBrokers'),
      topic,
      [0, 1, 2].map((i) => envelopeBytes(ingest.dsn(3), i)),
    );
    const f = await forwarder({ topic, allowedDsns: ['publickey'], allowedHosts: ['127.0.0.1'] });
    await waitUntil(() => deliveredIds(ingest).size === 3 || undefined, {
      what: '3 deliveries',
      timeoutMs: 20_000,
    });
    expect(f.metrics.retried).toBe(3);
    expect(f.metrics.delivered).toBe(3);
  });

  it('delivers everything once an ingest that was down at start comes up', async () => {
    const port = await freePort();
    const dsn = `http://publickey@127.0.0.1:${port}/3`;
    const topic = uniqueName('envelopes');
    await produce(
      inject('kafkaBrokers'),
      topic,
      [0, 1, 2].map((i) => envelopeBytes(dsn, i)),
    );
    const f = await forwarder({ topic, allowedDsns: ['publickey'], allowedHosts: ['127.0.0.1'] });
    await waitUntil(() => f.metrics.retried >= 2 || undefined, {
      what: 'retries against the down ingest',
      timeoutMs: 20_000,
    });
    const ingest = await double(port);
    await waitUntil(() => deliveredIds(ingest).size === 3 || undefined, {
      what: '3 deliveries',
      timeoutMs: 20_000,
    });
    expect(f.metrics.delivered).toBe(3);
  });
});

describe('forwarder dead letters', () => {
  it('dead-letters malformed, disallowed, oversized and rejected envelopes, and never calls a disallowed host', async () => {
    const ingest = await double();
    const forbidden = await double();
    ingest.respondWith({ status: 400, body: '{"detail":"bad"}' });
    const topic = uniqueName('envelopes');
    const values = [
      envelopeBytes(ingest.dsn(3), 0), // answered 400: rejected
      Buffer.from('this is not an envelope'),
      envelopeBytes(forbidden.dsn(3, 'someoneelse'), 1), // not on the allow-list
      envelopeBytes(ingest.dsn(3), 2, { extra: { blob: 'x'.repeat(5000) } }), // over maxEventBytes
      envelopeBytes(ingest.dsn(3), 3), // fine
    ];
    await produce(inject('kafkaBrokers'), topic, values);
    const f = await forwarder({
      topic,
      allowedDsns: ['publickey'],
      allowedHosts: ['127.0.0.1'],
      maxEventBytes: 4096,
    });
    const dead = await readTopic(inject('kafkaBrokers'), `${topic}.dead-letter`, (m) => m.length >= 4);
    const header = (m: (typeof dead)[number] | undefined, name: string) => m?.headers?.[name]?.toString();
    const byReason = Object.fromEntries(dead.map((m) => [header(m, DEAD_LETTER_HEADERS.reason), m]));
    expect(Object.keys(byReason).sort()).toEqual(['dsn_not_allowed', 'malformed', 'rejected', 'too_large']);
    const rejected = byReason.rejected;
    expect(header(rejected, DEAD_LETTER_HEADERS.status)).toBe('400');
    expect(header(rejected, DEAD_LETTER_HEADERS.originalTopic)).toBe(topic);
    expect(header(rejected, DEAD_LETTER_HEADERS.originalPartition)).toBe('0');
    expect(header(rejected, DEAD_LETTER_HEADERS.originalOffset)).toBe('0');
    expect(header(rejected, DEAD_LETTER_HEADERS.errorMessage)).toBe('the ingest answered 400');
    expect(byReason.malformed?.value?.toString()).toBe('this is not an envelope');
    await waitUntil(() => deliveredIds(ingest).has(eventIdOf(3)) || undefined, { what: 'the good envelope' });
    expect(forbidden.requests).toHaveLength(0);
    expect(f.metrics.deadLettered).toEqual({ rejected: 1, malformed: 1, dsn_not_allowed: 1, too_large: 1 });
  });
});

describe('forwarder instances and restarts', () => {
  it('loses nothing when one of two instances in a group stops mid-run', async () => {
    const ingest = await double();
    const topic = uniqueName('envelopes');
    const total = 300;
    await produce(
      inject('kafkaBrokers'),
      topic,
      Array.from({ length: total }, (_, i) => envelopeBytes(ingest.dsn(3), i)),
      4,
    );
    const groupId = uniqueName('shared-group');
    const a = await forwarder({ topic, groupId, allowedDsns: ['publickey'], allowedHosts: ['127.0.0.1'] });
    await forwarder({ topic, groupId, allowedDsns: ['publickey'], allowedHosts: ['127.0.0.1'] });
    await waitUntil(() => a.metrics.delivered >= 20 || undefined, { what: 'instance A at work' });
    await a.stop();
    running.splice(running.indexOf(a), 1);
    await waitUntil(() => deliveredIds(ingest).size === total || undefined, {
      what: `${total} distinct deliveries`,
      timeoutMs: 60_000,
    });
    expect(deliveredIds(ingest).size).toBe(total);
  });

  it('loses nothing when the forwarder process is SIGKILLed and restarted', async () => {
    const project = await bugsink.createProject('forwarder-kill');
    const topic = uniqueName('envelopes');
    const total = 60;
    await produce(
      inject('kafkaBrokers'),
      topic,
      Array.from({ length: total }, (_, i) => envelopeBytes(project.dsn, i)),
    );
    const cli = fileURLToPath(new URL('../bin/faultline-forwarder.mjs', import.meta.url));
    const env = {
      PATH: process.env.PATH,
      FAULTLINE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      FAULTLINE_FORWARDER_TOPIC: topic,
      FAULTLINE_FORWARDER_GROUP: uniqueName('kill-group'),
      FAULTLINE_FORWARDER_ALLOWED_DSNS: project.dsn,
      // One at a time, so the kill lands mid-run; the pipelined case has a test of its own.
      FAULTLINE_FORWARDER_MAX_IN_FLIGHT: '1',
    };
    // First run: killed with SIGKILL once some, not all, envelopes are in Bugsink.
    let child: import('node:child_process').ChildProcess | undefined;
    const first = runNodeScript(cli, {
      env,
      timeoutMs: 60_000,
      onStdout: (_, c) => {
        child = c;
      },
    });
    const deliveredBeforeKill = await waitUntil(
      async () => {
        const count = (await bugsink.events(project.id)).length;
        return count >= 20 ? count : undefined;
      },
      { what: '20 events before the kill', timeoutMs: 30_000, intervalMs: 50 },
    );
    child?.kill('SIGKILL');
    expect((await first).signal).toBe('SIGKILL');
    expect(deliveredBeforeKill).toBeLessThan(total);

    // Second run: picks up from the last committed offset.
    const second = runNodeScript(cli, {
      env,
      timeoutMs: 90_000,
      onStdout: (_, c) => {
        child = c;
      },
    });
    await bugsink.waitForEvents(project.id, total, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    child?.kill('SIGTERM');
    expect((await second).code).toBe(0);
    // Bugsink keeps one event per event id: redelivered envelopes are harmless, none missing.
    expect(await bugsink.events(project.id)).toHaveLength(total);
  });
});

describe('forwarder replay', () => {
  it('re-delivers exactly the envelopes of a time window', async () => {
    const ingest = await double();
    const topic = uniqueName('envelopes');
    const brokers = inject('kafkaBrokers');
    const batch = (from: number) =>
      Array.from({ length: 5 }, (_, i) => envelopeBytes(ingest.dsn(3), from + i));
    await produce(brokers, topic, batch(0));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const windowStart = new Date();
    await produce(brokers, topic, batch(100));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const windowEnd = new Date();
    await produce(brokers, topic, batch(200));
    const live = await forwarder({ topic, allowedDsns: ['publickey'], allowedHosts: ['127.0.0.1'] });
    await waitUntil(() => deliveredIds(ingest).size === 15 || undefined, { what: 'live delivery of 15' });
    await live.stop();
    running.splice(running.indexOf(live), 1);
    ingest.requests.length = 0;

    const replayer = createForwarder({
      brokers,
      topic,
      allowedDsns: ['publickey'],
      allowedHosts: ['127.0.0.1'],
      logger: silentLogger,
    });
    const seen: number[] = [];
    const result = await replayer.replay({
      from: windowStart,
      to: windowEnd,
      onProgress: (p) => seen.push(p.done),
    });
    await replayer.stop();
    expect(result).toMatchObject({ done: 5, total: 5 });
    expect(seen.at(-1)).toBe(5);
    expect([...deliveredIds(ingest)].sort()).toEqual([100, 101, 102, 103, 104].map(eventIdOf).sort());
  });
});
