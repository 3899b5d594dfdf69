import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIngestDouble, type IngestDouble } from '@faultline/testkit';
import * as Sentry from '@sentry/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, initObservability, type ObservabilityHandle } from '../src/index.js';

// These tests run the real SDK in this process against the ingest double (a local HTTP server
// that records envelopes); the child-process tests against Bugsink are in *.int.test.ts.
let ingest: IngestDouble;
let handle: ObservabilityHandle | undefined;
const SECRET_KEY = 'f00dfacef00dfacef00dfacef00dface';

beforeAll(async () => {
  ingest = await createIngestDouble();
});
afterAll(() => ingest.close());
afterEach(async () => {
  await handle?.close(1000);
  handle = undefined;
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  ingest.requests.length = 0;
});

function consoleLines() {
  const lines: string[] = [];
  for (const method of ['info', 'warn', 'debug', 'log', 'error'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
  }
  return lines;
}

describe('initObservability', () => {
  it('stays off without a DSN, says so once, and makes every call a no-op', async () => {
    vi.stubEnv('SENTRY_DSN', '');
    const lines = consoleLines();
    handle = initObservability({ service: 'svc' });
    expect(handle.enabled).toBe(false);
    expect(Sentry.getClient()).toBeUndefined();
    expect(Sentry.captureException(new Error('nobody hears this'))).toBeTypeOf('string');
    await expect(handle.flush()).resolves.toBe(true);
    expect(lines.filter((line) => line.includes('Faultline is off'))).toHaveLength(1);
    expect(ingest.requests).toHaveLength(0);
  });

  it("sends its own lines to the app's logger when given one, and nothing to the console", async () => {
    vi.stubEnv('SENTRY_DSN', '');
    const lines = consoleLines();
    const logged: string[] = [];
    const logger = {
      info: (message: string) => logged.push(`info ${message}`),
      warn: (message: string) => logged.push(`warn ${message}`),
      debug: (message: string) => logged.push(`debug ${message}`),
      error: (message: string) => logged.push(`error ${message}`),
    };
    handle = initObservability({ service: 'svc', logger });
    initObservability({ service: 'svc', logger }); // a second call is warned about
    expect(logged).toEqual([
      expect.stringMatching(/^info no DSN set .*Faultline is off/),
      expect.stringMatching(/^warn initObservability\(\) was called again/),
    ]);
    expect(lines).toEqual([]);
  });

  it('sends events with release, environment, service and runtime context', async () => {
    vi.stubEnv('SENTRY_DSN', ingest.dsn(42, SECRET_KEY));
    vi.stubEnv('SENTRY_ENVIRONMENT', 'staging');
    vi.stubEnv('K8S_POD_NAME', 'checkout-abc');
    vi.stubEnv('K8S_NAMESPACE', 'shop');
    handle = initObservability({ service: 'checkout', release: 'checkout@1.2.3', handleSignals: false });
    Sentry.captureException(new Error('card declined'));
    await handle.flush(2000);

    const event = await ingest.waitForItem<Sentry.Event>('event');
    expect(ingest.requests.every((request) => request.projectId === '42')).toBe(true);
    expect(event.release).toBe('checkout@1.2.3');
    expect(event.environment).toBe('staging');
    expect(event.tags).toMatchObject({
      service: 'checkout',
      'k8s.namespace': 'shop',
      'k8s.pod': 'checkout-abc',
    });
    expect(event.contexts?.k8s).toEqual({ pod: 'checkout-abc', namespace: 'shop' });
    expect(event.contexts?.service).toEqual({ name: 'checkout' });
    expect(event.exception?.values?.[0]?.value).toBe('card declined');
  });

  it("counts the error policy's decisions in stats(), and has no Kafka figures over HTTP", async () => {
    vi.stubEnv('SENTRY_DSN', ingest.dsn());
    vi.stubEnv('FAULTLINE_ERRORS_SAMPLE_RATE', '0');
    handle = initObservability({ service: 'counted', handleSignals: false });
    for (let i = 0; i < 15; i++) Sentry.captureException(new Error('same bug'));
    await handle.flush(2000);
    const stats = handle.stats();
    expect(stats.errors).toMatchObject({ seen: 15, kept: 10, dropped: { sampled: 5 } });
    expect(stats.kafka).toBeUndefined();
    // All ten arrive: Sentry's dedupe, which drops an error identical to the one before, is off.
    expect(
      ingest.items<Sentry.Event>('event').filter((e) => e.exception?.values?.[0]?.value === 'same bug'),
    ).toHaveLength(10);
  });

  it('warns on a second call and returns the same handle', () => {
    vi.stubEnv('SENTRY_DSN', ingest.dsn());
    const lines = consoleLines();
    handle = initObservability({ handleSignals: false });
    expect(initObservability({ service: 'other' })).toBe(handle);
    expect(lines.some((line) => line.includes('initObservability() was called again'))).toBe(true);
  });

  it('starts afresh after close()', async () => {
    vi.stubEnv('SENTRY_DSN', ingest.dsn());
    const first = initObservability({ service: 'one', handleSignals: false });
    await first.close(1000);
    handle = initObservability({ service: 'two', handleSignals: false });
    expect(handle).not.toBe(first);
    expect(handle.config.service).toBe('two');
  });

  it('never logs the DSN key, even in debug mode', async () => {
    vi.stubEnv('SENTRY_DSN', ingest.dsn(7, SECRET_KEY));
    const lines = consoleLines();
    handle = initObservability({ debug: true, handleSignals: false });
    Sentry.captureMessage('hello');
    await handle.flush(2000);
    await ingest.waitForRequests(1);
    expect(lines.some((line) => line.includes('[faultline] on: http://127.0.0.1:'))).toBe(true);
    expect(lines.join('\n')).not.toContain(SECRET_KEY);
  });

  it('throws one ConfigError for bad settings, before touching Sentry', () => {
    vi.stubEnv('SENTRY_DSN', ingest.dsn());
    vi.stubEnv('SENTRY_TRACES_SAMPLE_RATE', '3');
    expect(() => initObservability()).toThrow(ConfigError);
    expect(Sentry.getClient()).toBeUndefined();
  });

  it('keeps the app running without a disk buffer when the spool directory is unusable, and says so once', async () => {
    vi.stubEnv('SENTRY_DSN', ingest.dsn());
    vi.stubEnv('FAULTLINE_KAFKA_BROKERS', '127.0.0.1:9');
    // A path below a regular file can never be a directory.
    const file = join(mkdtempSync(join(tmpdir(), 'faultline-core-')), 'a-file');
    writeFileSync(file, '');
    vi.stubEnv('FAULTLINE_SPOOL_DIR', join(file, 'spool'));
    const lines = consoleLines();
    handle = initObservability({ handleSignals: false });
    expect(Sentry.getClient()).toBeDefined();
    const said = lines.filter((line) => line.includes('running without a disk buffer'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/spool directory .*a-file\/spool is not usable/);
    // Capturing still works and throws nothing into the app.
    expect(() => Sentry.captureException(new Error('still captured'))).not.toThrow();
  });

  it("removes Sentry's kafkajs integration unless told to keep it, and keeps the user's integrations", () => {
    vi.stubEnv('SENTRY_DSN', ingest.dsn());
    const custom = { name: 'Custom', setupOnce: () => undefined };
    handle = initObservability({
      handleSignals: false,
      tracesSampleRate: 1,
      sentry: { integrations: [custom] },
    });
    const names = () => (Sentry.getClient()?.getOptions().integrations ?? []).map((i) => i.name);
    expect(names()).not.toContain('Kafka');
    expect(names()).toContain('Custom');
    expect(names()).toContain('Http');
  });

  it("keeps Sentry's kafkajs integration with kafkajsInstrumentation: sentry", async () => {
    vi.stubEnv('SENTRY_DSN', ingest.dsn());
    handle = initObservability({
      handleSignals: false,
      tracesSampleRate: 1,
      kafkajsInstrumentation: 'sentry',
    });
    expect((Sentry.getClient()?.getOptions().integrations ?? []).map((i) => i.name)).toContain('Kafka');
  });

  it('bounds flush() even when the ingest hangs', async () => {
    vi.stubEnv('SENTRY_DSN', ingest.dsn());
    ingest.setDefaultReply({ delayMs: 5_000 });
    try {
      handle = initObservability({ handleSignals: false });
      Sentry.captureMessage('slow');
      const started = Date.now();
      await expect(handle.flush(300)).resolves.toBe(false);
      // The bound is what matters here, not speed: well under the ingest's 5 s delay.
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      ingest.setDefaultReply({});
    }
  });
});
