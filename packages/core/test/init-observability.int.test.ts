import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BugsinkClient, connectBugsink, readTopic, runNodeScript, uniqueName } from '@faultline/testkit';
import { type Event, parseEnvelope } from '@sentry/core';
import { beforeAll, describe, expect, inject, it } from 'vitest';

// End to end: the built @faultline/core in a child process, the real @sentry/node, and Bugsink
// (a real Sentry-protocol server) storing what arrives.
const SERVICE = fileURLToPath(new URL('./fixtures/service.mjs', import.meta.url));
let bugsink: BugsinkClient;

beforeAll(() => {
  bugsink = connectBugsink(inject('bugsink'));
});

function baseEnv(dsn: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    SENTRY_DSN: dsn,
    SENTRY_RELEASE: 'payments@4.5.6',
    SENTRY_ENVIRONMENT: 'e2e',
    FAULTLINE_SERVICE: 'payments',
    KUBERNETES_SERVICE_HOST: '10.0.0.1',
    HOSTNAME: 'payments-5c8d7-x2x9q',
    POD_NAMESPACE: 'billing',
    NODE_NAME: 'worker-3',
  };
}

describe('initObservability end to end (Bugsink)', () => {
  it('stores an uncaught error with release, environment, service and runtime context', async () => {
    const project = await bugsink.createProject('core-uncaught');
    const result = await runNodeScript(SERVICE, {
      env: { ...baseEnv(project.dsn), FIXTURE_SCENARIO: 'uncaught' },
    });
    // Sentry's uncaught-exception handler exits with 1 after flushing, as Node would.
    expect(result.code).toBe(1);

    const [event] = await bugsink.waitForEvents(project.id, 1);
    expect(event?.release).toBe('payments@4.5.6');
    expect(event?.environment).toBe('e2e');
    const data = event?.data;
    const tags = Object.fromEntries(Array.isArray(data?.tags) ? data.tags : Object.entries(data?.tags ?? {}));
    expect(tags).toMatchObject({
      service: 'payments',
      'k8s.namespace': 'billing',
      'k8s.pod': 'payments-5c8d7-x2x9q',
    });
    expect(data?.contexts?.k8s).toEqual({
      pod: 'payments-5c8d7-x2x9q',
      namespace: 'billing',
      node: 'worker-3',
    });
    expect(data?.contexts?.service).toEqual({ name: 'payments' });
    expect(JSON.stringify(data?.exception)).toContain('payment service exploded');
    // The DSN's key never reaches the process's output.
    const key = new URL(project.dsn).username;
    expect(result.stdout + result.stderr).not.toContain(key);
  });

  it('flushes a pending event on SIGTERM, then ends the process as SIGTERM would', async () => {
    const project = await bugsink.createProject('core-sigterm');
    const result = await runNodeScript(SERVICE, {
      env: { ...baseEnv(project.dsn), FIXTURE_SCENARIO: 'signal', FIXTURE_SLOW_BEFORE_SEND: '500' },
      onStdout: (text, child) => {
        if (text.includes('ready')) child.kill('SIGTERM');
      },
    });
    expect(result.signal).toBe('SIGTERM');
    const [event] = await bugsink.waitForEvents(project.id, 1);
    expect(event?.data.message ?? event?.data.logentry).toBeTruthy();
    expect(event?.level).toBe('warning');
  });

  it('exits 143 after the flush when SIGTERM reaches it as PID 1 (a container without an init)', async () => {
    const project = await bugsink.createProject('core-pid1');
    let pid = '';
    const result = await runNodeScript(SERVICE, {
      // A new PID namespace makes node its PID 1, as in a container started without --init. The
      // kernel ignores a signal PID 1 has no handler for, so re-raising SIGTERM does nothing there.
      wrapper: ['unshare', '--pid', '--fork', '--mount-proc'],
      env: { ...baseEnv(project.dsn), FIXTURE_SCENARIO: 'signal', FIXTURE_SLOW_BEFORE_SEND: '500' },
      timeoutMs: 15_000,
      onStdout: (text, child) => {
        const ready = /ready pid=(\d+)/.exec(text);
        if (!ready?.[1]) return;
        pid = ready[1];
        // The signal goes to node itself (unshare's child), from outside the namespace, as a
        // container runtime sends it; it is delivered because Faultline's handler is installed.
        const unshare = child.pid ?? 0;
        const node = readFileSync(`/proc/${unshare}/task/${unshare}/children`, 'utf8').trim();
        process.kill(Number(node), 'SIGTERM');
      },
    });
    expect(pid).toBe('1');
    // unshare exits with its child's status: 128 + 15, not a SIGKILL after the timeout.
    expect(result.code).toBe(143);
    const [event] = await bugsink.waitForEvents(project.id, 1);
    expect(event?.level).toBe('warning');
  });

  it("keeps the app's own SIGTERM handler in charge", async () => {
    const project = await bugsink.createProject('core-own-handler');
    const result = await runNodeScript(SERVICE, {
      env: {
        ...baseEnv(project.dsn),
        FIXTURE_SCENARIO: 'signal',
        FIXTURE_SLOW_BEFORE_SEND: '500',
        FIXTURE_OWN_HANDLER: '1',
      },
      onStdout: (text, child) => {
        if (text.includes('ready')) child.kill('SIGTERM');
      },
    });
    expect(result.stdout).toContain('app handler ran');
    expect(result.code).toBe(0);
    await bugsink.waitForEvents(project.id, 1);
  });

  it('loses the pending event when signal handling is off (the control for the test above)', async () => {
    const project = await bugsink.createProject('core-no-signals');
    const result = await runNodeScript(SERVICE, {
      env: {
        ...baseEnv(project.dsn),
        FIXTURE_SCENARIO: 'signal',
        FIXTURE_SLOW_BEFORE_SEND: '500',
        FIXTURE_HANDLE_SIGNALS: 'false',
      },
      onStdout: (text, child) => {
        if (text.includes('ready')) child.kill('SIGTERM');
      },
    });
    expect(result.signal).toBe('SIGTERM');
    // Longer than the event would have needed to arrive.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await bugsink.events(project.id)).toHaveLength(0);
  });

  it('sends through Kafka when brokers are configured', async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('core-kafka');
    const dsn = 'http://0123456789abcdef0123456789abcdef@127.0.0.1:9/7';
    const result = await runNodeScript(SERVICE, {
      env: {
        ...baseEnv(dsn),
        FIXTURE_SCENARIO: 'uncaught',
        FAULTLINE_KAFKA_BROKERS: brokers.join(','),
        FAULTLINE_KAFKA_TOPIC: topic,
        FAULTLINE_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'faultline-core-spool-')),
      },
    });
    expect(result.code).toBe(1);
    const messages = await readTopic(brokers, topic, (m) =>
      m.some((x) => x.headers?.['faultline-item-types']?.toString() === 'event'),
    );
    const envelope = messages
      .map((m) => parseEnvelope(new Uint8Array(m.value ?? Buffer.alloc(0))))
      .find(([, items]) => items.some(([header]) => header.type === 'event'));
    expect(envelope?.[0].dsn).toBe(dsn);
    const event = envelope?.[1][0]?.[1] as Event;
    expect(event.release).toBe('payments@4.5.6');
    expect(event.tags).toMatchObject({ service: 'payments' });
    expect(JSON.stringify(event.exception)).toContain('payment service exploded');
  });
});
