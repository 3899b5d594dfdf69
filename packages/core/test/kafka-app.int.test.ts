import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSpool } from '@faultline/spool';
import {
  createTopic,
  freePort,
  type KafkaBroker,
  readTopic,
  runNodeScript,
  startKafka,
  uniqueName,
} from '@faultline/testkit';
import { type Envelope, type Event, parseEnvelope } from '@sentry/core';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';

// The app side with the real SDK and a real broker: the built @faultline/core in a child process
// (Sentry.init is process-global), sending through the Kafka transport.
const APP = fileURLToPath(new URL('./fixtures/kafka-app.mjs', import.meta.url));
const DSN = 'http://0123456789abcdef0123456789abcdef@127.0.0.1:9/7';

function appEnv(brokers: string[], topic: string, scenario: string, extra: NodeJS.ProcessEnv = {}) {
  const spoolDir = mkdtempSync(join(tmpdir(), 'faultline-app-spool-'));
  return {
    spoolDir,
    env: {
      PATH: process.env.PATH,
      SENTRY_DSN: DSN,
      FAULTLINE_SERVICE: 'batch',
      FAULTLINE_KAFKA_BROKERS: brokers.join(','),
      FAULTLINE_KAFKA_TOPIC: topic,
      FAULTLINE_SPOOL_DIR: spoolDir,
      FIXTURE_SCENARIO: scenario,
      ...extra,
    },
  };
}

const parsed = new WeakMap<KafkaMessage, Envelope>();

/** Parsed once per message: the read predicates below run at every message. */
function envelopes(messages: KafkaMessage[]): Envelope[] {
  return messages.map((m) => {
    let envelope = parsed.get(m);
    if (!envelope) {
      envelope = parseEnvelope(new Uint8Array(m.value ?? Buffer.alloc(0)));
      parsed.set(m, envelope);
    }
    return envelope;
  });
}

function eventsIn(messages: KafkaMessage[]): Event[] {
  return envelopes(messages).flatMap(([, items]) =>
    items.filter(([header]) => header.type === 'event').map(([, payload]) => payload as Event),
  );
}

function discardedIn(messages: KafkaMessage[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const [, items] of envelopes(messages)) {
    for (const [header, payload] of items) {
      if (header.type !== 'client_report') continue;
      const report = payload as {
        discarded_events: { reason: string; category: string; quantity: number }[];
      };
      for (const { reason, category, quantity } of report.discarded_events) {
        totals[`${reason}:${category}`] = (totals[`${reason}:${category}`] ?? 0) + quantity;
      }
    }
  }
  return totals;
}

/**
 * Records the app left in its spool, in whichever slot of the service's directory it used (it
 * has exited, so each can be opened here).
 */
function spoolRecordsLeft(dir: string): number {
  let records = 0;
  for (const slot of readdirSync(dir).filter((name) => /^\d+$/.test(name))) {
    const spool = openSpool({ dir: join(dir, slot) });
    records += spool.stats().records;
    spool.close();
  }
  return records;
}

describe('the app side with the Kafka transport', () => {
  it('keeps the first 10 of each of 100 fingerprints in a burst of 10,000 errors in one tick', async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('burst');
    await createTopic(brokers, topic, 1);
    const { env } = appEnv(brokers, topic, 'burst');
    const result = await runNodeScript(APP, { env, timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({ closed: true });

    // Each error is an event in Kafka or a counted drop; the client report may come first.
    const messages = await readTopic(
      brokers,
      topic,
      (m) => eventsIn(m).length + (discardedIn(m)['before_send:error'] ?? 0) >= 10_000,
      30_000,
    );
    const events = eventsIn(messages);
    const perKind = new Map<string, number>();
    for (const event of events) {
      const value = event.exception?.values?.at(-1)?.value ?? '';
      perKind.set(value, (perKind.get(value) ?? 0) + 1);
    }
    // Every fingerprint has its first 10 (and some sampled later ones).
    expect(perKind.size).toBe(100);
    for (const [kind, count] of perKind) expect(count, kind).toBeGreaterThanOrEqual(10);
    // Everything else was dropped by the policy, and counted as such: none lost to the SDK's queue.
    const discarded = discardedIn(messages);
    expect(discarded).toEqual({ 'before_send:error': 10_000 - events.length });
  });

  it("keeps a burst's kept errors, those still waiting for their turn too, through process.exit()", async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('burst-exit');
    await createTopic(brokers, topic, 1);
    const { env } = appEnv(brokers, topic, 'burst-exit');
    const exited = await runNodeScript(APP, { env, timeoutMs: 30_000 });
    expect(exited.code, exited.stderr).toBe(0);
    // They were spooled at exit; the next process on the same spool sends them.
    const next = await runNodeScript(APP, { env: { ...env, FIXTURE_SCENARIO: 'script' }, timeoutMs: 30_000 });
    expect(next.code, next.stderr).toBe(0);
    const burst = (m: KafkaMessage[]) => eventsIn(m).filter((e) => e.tags?.record !== undefined);
    const messages = await readTopic(brokers, topic, (m) => burst(m).length >= 40, 20_000);
    const events = burst(messages);
    expect(events).toHaveLength(40);
    for (const event of events) {
      // Each with its own scope's tag, as captured.
      expect(event.exception?.values?.at(-1)?.value).toBe(
        `record failed: kind ${String(event.tags?.record)}`,
      );
      expect(event.tags?.['faultline.salvaged']).toBe('process.exit');
    }
  });

  it('ends a script that never calls close(), after its event is in Kafka', async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('script');
    await createTopic(brokers, topic, 1);
    const { env } = appEnv(brokers, topic, 'script');
    const started = Date.now();
    // runNodeScript kills the child after 30 s: a script that did not end fails here.
    const result = await runNodeScript(APP, { env, timeoutMs: 30_000 });
    expect(result.signal).toBeNull();
    expect(result.code, result.stderr).toBe(0);
    const messages = await readTopic(brokers, topic, (m) => eventsIn(m).length >= 1, 10_000);
    expect(eventsIn(messages).map((e) => e.exception?.values?.at(-1)?.value)).toEqual([
      'nightly export failed',
    ]);
    // Not a performance figure: it ended of itself, well before the harness would have killed it.
    expect(Date.now() - started).toBeLessThan(25_000);
  });
});

describe('the app side through a broker outage', () => {
  let broker: KafkaBroker | undefined;
  afterAll(async () => {
    await broker?.destroy();
  });

  async function streamThroughOutage(options: { backBeforeClose: boolean }) {
    broker ??= await startKafka({ ports: { broker: await freePort(), controller: await freePort() } });
    const own = broker; // running: started here, or restarted by the test before
    const topic = uniqueName('outage');
    await createTopic(own.brokers, topic, 1);
    const { env, spoolDir } = appEnv(own.brokers, topic, 'stream', { FIXTURE_CLOSE_TIMEOUT_MS: '10000' });
    let child: ChildProcess | undefined;
    let streaming: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      streaming = resolve;
    });
    const run = runNodeScript(APP, {
      env,
      timeoutMs: 90_000,
      onStdout: (text, c) => {
        child = c;
        if (text.includes('streaming')) streaming();
      },
    });
    await ready;
    await sleep(2000);
    await own.kill(); // SIGKILL, mid-stream
    await sleep(4000);
    if (options.backBeforeClose) {
      await own.start();
      await sleep(3000);
    }
    child?.kill('SIGUSR2'); // stop streaming, close()
    const result = await run;
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as {
      closed: boolean;
      captured: number;
    };
    return { result, report, topic, spoolDir, own };
  }

  it('delivers every envelope when the broker is back before close(), and leaves none on disk', async () => {
    const { result, report, topic, spoolDir, own } = await streamThroughOutage({ backBeforeClose: true });
    expect(result.code, result.stderr).toBe(0);
    expect(report.closed).toBe(true);
    expect(report.captured).toBeGreaterThan(1000); // 250/s for about 9 s
    // Distinct sequence numbers: delivery is at least once, so a batch may be there twice.
    const seqsIn = (m: KafkaMessage[]) => new Set(eventsIn(m).map((e) => Number(e.tags?.seq)));
    const messages = await readTopic(own.brokers, topic, (m) => seqsIn(m).size >= report.captured, 30_000);
    const seqs = seqsIn(messages);
    const missing = Array.from({ length: report.captured }, (_, i) => i).filter((i) => !seqs.has(i));
    expect(missing).toEqual([]);
    expect(spoolRecordsLeft(spoolDir)).toBe(0);
    expect(result.stderr).not.toMatch(/in the spool at/);
  }, 180_000);

  it('resolves close() false with the broker still down, and logs how many stay on disk', async () => {
    const { result, report, spoolDir } = await streamThroughOutage({ backBeforeClose: false });
    expect(result.code, result.stderr).toBe(0);
    expect(report.closed).toBe(false);
    const logged = /closing with (\d+) envelope\(s\) in the spool at /.exec(result.stderr);
    expect(logged, result.stderr).not.toBeNull();
    // The count logged is what is on disk for the next process.
    expect(Number(logged?.[1])).toBe(spoolRecordsLeft(spoolDir));
    expect(Number(logged?.[1])).toBeGreaterThan(0);
  }, 180_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
