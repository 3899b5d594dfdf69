import { fileURLToPath } from 'node:url';
import { createTopic, runNodeScript, uniqueName } from '@faultline/testkit';
import { describe, expect, inject, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/orphan-connection.mjs', import.meta.url));

// KafkaJS 2.2.4 leaves a connection open after disconnect() when its consumer group holds a broker
// object the pool dropped (see fixKafkaJsOrphanConnections). The fault is made here with KafkaJS's
// own removeBroker, as a fetch does on a closed connection; a broker restart makes it at random.
describe('a KafkaJS consumer whose coordinator left the broker pool', () => {
  async function runFixture(mend: boolean) {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('orphan');
    await createTopic(brokers, topic, 1);
    return runNodeScript(FIXTURE, {
      env: {
        PATH: process.env.PATH,
        FIXTURE_BROKERS: brokers.join(','),
        FIXTURE_TOPIC: topic,
        FIXTURE_GROUP: uniqueName('orphan'),
        FIXTURE_MEND: mend ? '1' : '0',
      },
      timeoutMs: 30_000,
    });
  }

  it('keeps a socket open after disconnect() without the fix (the control)', async () => {
    const result = await runFixture(false);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ mended: false, sockets: 1 });
  });

  it('closes it with the fix, and the process ends by itself', async () => {
    const result = await runFixture(true);
    // Ended by itself: the runner's timeout would have killed it (code null).
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ mended: true, sockets: 0 });
  });
});
