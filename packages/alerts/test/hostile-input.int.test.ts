import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MESSAGE_HEADERS, silentLogger } from '@faultline/contract';
import {
  createTopic,
  groupLag,
  hostileMessages,
  runNodeScript,
  uniqueName,
  waitUntil,
} from '@faultline/testkit';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createAlertsService } from '../src/index.js';
import { startReceiver } from './receiver.js';

// Real broker. The topic gets the crafted messages of issue 22 first (junk, a header nested
// 100,000 deep, a null payload, a 5 MB value gzip makes small, one fingerprint at timestamps 0
// and 1e12 with a dropped_since_last_kept of a billion), then a storm captured by the real SDK
// through Faultline's Kafka transport. The service must read past the poison and still fire.
const FIXTURE = fileURLToPath(new URL('./fixtures/plan-service.mjs', import.meta.url));
const MIN = 60_000;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const brokers = () => inject('kafkaBrokers');

describe('the alerts on hostile input', () => {
  it('counts and skips the crafted messages, reads on to lag 0, and a storm after them still fires', async () => {
    const topic = uniqueName('alerts-hostile');
    await createTopic(brokers(), topic, 1);
    const producer = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const crafted = hostileMessages('http://publickey@127.0.0.1:9/42');
    for (const message of crafted) {
      await producer.send({
        topic,
        compression: message.gzip ? CompressionTypes.GZIP : CompressionTypes.None,
        messages: [{ value: message.value }],
      });
    }
    // And two with a crafted observations header, each over a value read as the header lies about
    // it: junk under a header of 100,000 brackets, and the poison event at 1e12 under a header that
    // claims 5,000 occurrences of it now. Neither header is taken: each value is read as it is.
    const future = crafted.find((message) => message.alerts === 'future') as (typeof crafted)[number];
    await producer.send({
      topic,
      messages: [
        {
          value: Buffer.from('junk under a header'),
          headers: {
            [MESSAGE_HEADERS.observations]: `{"project":"42","observations":${'['.repeat(100_000)}`,
          },
        },
        {
          value: future.value,
          headers: {
            [MESSAGE_HEADERS.observations]: JSON.stringify({
              project: '42',
              observations: [
                {
                  kind: 'error',
                  fingerprint: 'abc',
                  title: 'poison',
                  level: 'fatal',
                  weight: 5000,
                  at: Date.now(),
                },
              ],
            }),
          },
        },
      ],
    });
    await producer.disconnect();

    const base = Math.floor(Date.now() / MIN) * MIN - 12 * MIN;
    const captured = await runNodeScript(FIXTURE, {
      env: {
        PATH: process.env.PATH,
        SENTRY_DSN: 'http://publickey@127.0.0.1:9/42',
        FAULTLINE_KAFKA_BROKERS: brokers().join(','),
        FAULTLINE_KAFKA_TOPIC: topic,
        FAULTLINE_SPOOL_DIR: join(tmpdir(), uniqueName('alerts-spool')),
        FIXTURE_BASE: String(base),
        FIXTURE_PLAN: JSON.stringify([
          ...[0, 1, 2, 3, 4, 5, 6, 7].map((minute) => ({ errors: 'steady', minute, count: 20 })),
          { errors: 'storm', minute: 7, count: 900 },
        ]),
      },
      timeoutMs: 60_000,
    });
    expect(captured.stdout, captured.stderr).toContain('closed true');

    const hook = await startReceiver();
    cleanups.push(() => hook.close());
    const groupId = uniqueName('alerts');
    const now = base + 8 * MIN + 20_000;
    const service = createAlertsService(
      {
        brokers: brokers(),
        topic,
        groupId,
        stateTopic: uniqueName('alerts-state'),
        projects: ['42'],
        channels: { webhook: { url: `${hook.url}/alerts` } },
        tickMs: 100,
        clock: () => now,
        logger: silentLogger,
      },
      {},
    );
    cleanups.push(() => service.stop());
    await service.start();

    await waitUntil(() => (hook.received.length >= 2 ? true : undefined), {
      what: 'the spike after the poison',
      timeoutMs: 40_000,
    });
    const keys = hook.received.map((r) => `${r.body.status} ${r.body.key}`);
    expect(keys).toContain('firing spike:project:42');
    expect(keys.some((k) => k.startsWith('firing spike:issue:42:'))).toBe(true);
    // The poison: three unreadable, one far in the past, two far in the future; none paged. The
    // two crafted headers were refused, and the storm's envelopes read from theirs.
    expect(service.stats).toMatchObject({ unreadable: 3, late: 1, future: 2, badObservationHeaders: 2 });
    expect(service.stats.fromHeader).toBeGreaterThan(0);
    expect(hook.received.every((r) => !String(r.body.summary).includes('poison'))).toBe(true);
    await waitUntil(async () => ((await groupLag(brokers(), groupId, topic)) === 0 ? true : undefined), {
      what: 'the group lag at 0',
      timeoutMs: 30_000,
    });
  });
});
