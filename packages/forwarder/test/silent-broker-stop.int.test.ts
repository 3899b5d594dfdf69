import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  createTopic,
  type KafkaBroker,
  type NodeScriptResult,
  runNodeScript,
  startKafka,
  uniqueName,
} from '@faultline/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A broker gone silent: its process frozen (SIGSTOP), so connections stay open and no request is
// answered, as with a host lost without a reset or a network that drops packets. KafkaJS waits for
// its requests in flight at disconnect(), so a stop that waits for it waits as long as the broker
// stays silent: under an orchestrator, until the kill. Each service is stopped 1 s into the
// silence, in a process of its own (the fixtures), and must stop within its deadlines and end by
// itself while the broker is still frozen. The broker is this file's own, since it is frozen.
const FIXTURES = {
  forwarder: fileURLToPath(new URL('./fixtures/stop-service.mjs', import.meta.url)),
  alerts: fileURLToPath(new URL('../../alerts/test/fixtures/stop-service.mjs', import.meta.url)),
  intake: fileURLToPath(new URL('../../intake/test/fixtures/stop-service.mjs', import.meta.url)),
};
/** How long the broker stays frozen: a stop that waits for it takes at least this. */
const SILENT_FOR_MS = 25_000;
/**
 * The services' own deadlines add up to less: the forwarder's commit and leave, 5 s each, at most;
 * the intake's sends and then its drain's request, `kafkaTimeoutMs` (5 s) each, and 1 s.
 */
const STOP_WITHIN_MS = 20_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let broker: KafkaBroker;
beforeAll(async () => {
  broker = await startKafka();
}, 120_000);
afterAll(async () => {
  broker?.thaw();
  await broker?.destroy();
});

describe('a service stopped while its broker is silent', () => {
  it.each(Object.keys(FIXTURES) as (keyof typeof FIXTURES)[])(
    'the %s stops within its deadlines, and its process ends by itself before the broker answers',
    async (service) => {
      const topic = uniqueName(`silent-${service}`);
      await createTopic(broker.brokers, topic, 1);
      let child: ChildProcess | undefined;
      let started: () => void = () => undefined;
      const ready = new Promise<void>((resolve) => {
        started = resolve;
      });
      const run = runNodeScript(FIXTURES[service], {
        env: {
          PATH: process.env.PATH,
          FIXTURE_BROKERS: broker.brokers.join(','),
          FIXTURE_TOPIC: topic,
          FIXTURE_GROUP: uniqueName(`silent-${service}`),
        },
        timeoutMs: 90_000,
        onStdout: (text, spawned) => {
          child = spawned;
          if (text.includes('started')) started();
        },
      });
      await Promise.race([ready, run]);
      expect(child, 'the fixture did not start').toBeDefined();
      // Its consumers fetching, its producer sending: requests in flight when the broker freezes.
      await sleep(2000);
      broker.freeze();
      let ended: NodeScriptResult | undefined;
      try {
        await sleep(1000);
        child?.kill('SIGUSR2');
        ended = await Promise.race([run, sleep(SILENT_FOR_MS).then(() => undefined)]);
      } finally {
        broker.thaw();
      }
      const result = ended ?? (await run);
      const report = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
      expect(
        ended,
        `still running ${SILENT_FOR_MS} ms after SIGUSR2, the broker silent all along\n${report}`,
      ).toBeDefined();
      expect(result.code, report).toBe(0);
      const stoppedIn = Number(/stopped in (\d+) ms/.exec(result.stdout)?.[1]);
      console.log(`${service}: stopped in ${stoppedIn} ms with the broker silent`);
      expect(stoppedIn, report).toBeLessThan(STOP_WITHIN_MS);
      // What the user's log shows: one line that says the stop gave up on the brokers, not KafkaJS's
      // connection error for each connection shut.
      expect(result.stdout, report).toMatch(/stopped without the brokers' answer: \d+ Kafka connection/);
      expect(result.stdout, report).not.toContain('the Kafka client is shut');
    },
    120_000,
  );
});
