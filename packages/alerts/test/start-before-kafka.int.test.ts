import { fileURLToPath } from 'node:url';
import { type Logger, silentLogger } from '@faultline/contract';
import {
  createTopic,
  freePort,
  httpStatus,
  runNodeScript,
  startKafka,
  uniqueName,
  waitUntil,
} from '@faultline/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createAlertsService } from '../src/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A logger keeping the service's own warnings (KafkaJS's lines, prefixed, left out). */
function warningsLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    logger: {
      ...silentLogger,
      warn: (message, fields) => {
        if (!message.startsWith('kafkajs ')) warnings.push(`${message} ${JSON.stringify(fields ?? {})}`);
      },
    },
  };
}

// Users start services in any order. The broker here is really down (stopped), then started again
// on the same port.
describe('an alerts service started before its broker serves', () => {
  it('waits, saying so, then becomes active and reads the topic once the broker is up', async () => {
    const broker = await startKafka();
    try {
      const topic = uniqueName('early');
      await createTopic(broker.brokers, topic, 2);
      const producer = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).producer();
      await producer.connect();
      await producer.send({
        topic,
        messages: Array.from({ length: 20 }, (_, i) => ({
          value: Buffer.from(
            `{"event_id":"${String(i).padStart(32, '0')}"}\n{"type":"event"}\n` +
              `${JSON.stringify({ level: 'error', message: `early ${i}`, timestamp: Date.now() / 1000 })}\n`,
          ),
        })),
      });
      await producer.disconnect();
      await broker.stop();

      const { logger, warnings } = warningsLogger();
      const service = createAlertsService(
        {
          brokers: broker.brokers,
          topic,
          groupId: uniqueName('early'),
          stateTopic: uniqueName('early-state'),
          dryRun: true,
          logger,
        },
        {},
      );
      let started = false;
      const starting = service.start().then(() => {
        started = true;
      });
      await waitUntil(() => warnings.find((w) => w.startsWith('joining Kafka: waiting')), {
        what: 'the service to say that it waits for Kafka',
        timeoutMs: 30_000,
      });
      await sleep(3000);
      expect(started).toBe(false);
      expect(service.stats.active).toBe(false);

      await broker.start();
      await starting;
      await waitUntil(() => (service.stats.caughtUp && service.stats.envelopes >= 20) || undefined, {
        what: 'the service, active, to read the 20 envelopes written before it started',
        timeoutMs: 60_000,
      });
      await service.stop();
    } finally {
      await broker.destroy();
    }
  }, 180_000);

  it('stops while it waits: start() resolves at once, not joined', async () => {
    const { logger, warnings } = warningsLogger();
    // A port nothing listens on: every attempt is refused.
    const service = createAlertsService(
      { brokers: ['127.0.0.1:9'], groupId: uniqueName('never'), dryRun: true, logger },
      {},
    );
    const starting = service.start();
    await waitUntil(() => warnings.find((w) => w.startsWith('joining Kafka: waiting')), {
      what: 'the service to say that it waits for Kafka',
      timeoutMs: 30_000,
    });
    const stopAt = Date.now();
    await service.stop();
    await starting;
    // At once, not when the attempt under way ends (KafkaJS retries a refused connect for ~10 s).
    console.log(`stopped while waiting for Kafka in ${Date.now() - stopAt} ms`);
    expect(Date.now() - stopAt).toBeLessThan(3000);
    expect(service.stats.active).toBe(false);
  }, 60_000);

  it('the bin, waiting: /healthz answers, /readyz does not, and SIGTERM ends it with exit 0', async () => {
    const port = await freePort();
    const bin = fileURLToPath(new URL('../bin/faultline-alerts.mjs', import.meta.url));
    const probe = (path: string) => httpStatus(port, path);
    let child: import('node:child_process').ChildProcess | undefined;
    let output = '';
    const run = runNodeScript(bin, {
      onSpawn: (spawned) => {
        child = spawned;
      },
      onStdout: (text) => {
        output += text;
      },
      args: ['--dry-run', '--health-port', String(port)],
      env: {
        PATH: process.env.PATH,
        FAULTLINE_KAFKA_BROKERS: '127.0.0.1:9',
        FAULTLINE_ALERTS_LOG_LEVEL: 'warn',
      },
      timeoutMs: 60_000,
    });
    await waitUntil(async () => ((await probe('/healthz')) === 200 ? true : undefined), {
      what: '/healthz',
      timeoutMs: 30_000,
    });
    // Its first attempt fails once KafkaJS's own retries do (about 10 s); the second is under way
    // when the signal comes, and must not be waited out.
    await waitUntil(() => output.includes('joining Kafka: waiting') || undefined, {
      what: 'the bin to say that it waits for Kafka',
      timeoutMs: 30_000,
    });
    await sleep(1000);
    expect(await probe('/readyz')).toBe(503);
    const signalledAt = Date.now();
    child?.kill('SIGTERM');
    const result = await run;
    expect(result.code, result.stderr).toBe(0);
    console.log(`the bin ended ${Date.now() - signalledAt} ms after SIGTERM`);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
  }, 60_000);
});
