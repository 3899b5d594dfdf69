import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createIngestDouble, type IngestDouble } from '@faultline/testkit';
import { spanIsSampled } from '@sentry/core';
import * as Sentry from '@sentry/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initObservability, type ObservabilityHandle } from '../src/index.js';

// The real SDK through initObservability(), sending to the ingest double: what the client
// reports and the sampling decisions look like from outside.
let ingest: IngestDouble;
let handle: ObservabilityHandle | undefined;

beforeAll(async () => {
  ingest = await createIngestDouble();
});
afterAll(() => ingest.close());
afterEach(async () => {
  await handle?.close(1000);
  handle = undefined;
  vi.unstubAllEnvs();
  ingest.requests.length = 0;
});

async function flushTwice(): Promise<void> {
  // Outcomes recorded while a flush runs go out with the next one.
  await handle?.flush(2000);
  await handle?.flush(2000);
}

describe('the error policy at capture (before the SDK queue)', () => {
  it('keeps the first N of every fingerprint in a one-tick burst over HTTP too; the rest are counted as before_send', async () => {
    handle = initObservability({
      dsn: ingest.dsn(),
      handleSignals: false,
      // The SDK's own bound, about: without the policy at capture, 2,000 errors in one tick would
      // take the 64 slots in arrival order and the rest would go as queue_overflow.
      maxPendingEvents: 64,
      sampling: { errors: { keepFirstPerFingerprint: 3, sampleRate: 0 } },
    });
    // 2,000 errors over 20 fingerprints in one tick; 60 are kept and fit.
    const kinds = Array.from({ length: 20 }, (_, k) => `step ${String.fromCharCode(97 + k)}`);
    for (let i = 0; i < 2000; i++) Sentry.captureException(new Error(`import failed at ${kinds[i % 20]}`));
    await flushTwice();
    await vi.waitFor(() => expect(ingest.items('event').length).toBe(60), { timeout: 10_000 });
    const perKind = new Map<string, number>();
    for (const event of ingest.items<Sentry.Event>('event')) {
      const value = event.exception?.values?.at(-1)?.value ?? '';
      perKind.set(value, (perKind.get(value) ?? 0) + 1);
    }
    expect([...perKind.values()]).toEqual(Array(20).fill(3));
    await vi.waitFor(() => expect(ingest.discarded()).toEqual({ 'before_send:error': 1940 }), {
      timeout: 5000,
    });
  });

  it("decides with the capturing scope's tags, and keeps a fatal capture context", async () => {
    handle = initObservability({
      dsn: ingest.dsn(),
      handleSignals: false,
      sampling: {
        errors: {
          keepFirstPerFingerprint: 0,
          sampleRate: 0,
          rules: [(event) => (event.tags?.tenant === 'vip' ? 'keep' : undefined)],
        },
      },
    });
    Sentry.withScope((scope) => {
      scope.setTag('tenant', 'vip');
      Sentry.captureException(new Error('vip checkout failed'));
    });
    Sentry.captureException(new Error('ordinary checkout failed'));
    // The uncaught-exception handler passes its level this way.
    Sentry.captureException(new Error('process is going down'), { captureContext: { level: 'fatal' } });
    await flushTwice();
    await vi.waitFor(() => expect(ingest.items('event').length).toBe(2), { timeout: 5000 });
    const values = ingest.items<Sentry.Event>('event').map((e) => e.exception?.values?.at(-1)?.value);
    expect(values.sort()).toEqual(['process is going down', 'vip checkout failed']);
    expect(ingest.discarded()).toEqual({ 'before_send:error': 1 });
  });

  it("marks the request's session errored for a dropped error too, as the SDK does", async () => {
    handle = initObservability({
      dsn: ingest.dsn(),
      handleSignals: false,
      sampling: { errors: { keepFirstPerFingerprint: 0, sampleRate: 0 } },
    });
    // Where Sentry's HTTP integration keeps an incoming request's session, and reads it at the end.
    const status = Sentry.withIsolationScope((isolation) => {
      isolation.setSDKProcessingMetadata({ requestSession: { status: 'ok' } });
      Sentry.captureException(new Error('payment lookup failed'));
      return (isolation.getScopeData().sdkProcessingMetadata.requestSession as { status: string }).status;
    });
    expect(handle.stats().errors?.dropped.sampled).toBe(1);
    expect(status).toBe('errored');
  });

  it('puts the sampling context on a kept event that follows drops', async () => {
    handle = initObservability({
      dsn: ingest.dsn(),
      handleSignals: false,
      sampling: { errors: { keepFirstPerFingerprint: 1, sampleRate: 0, fingerprintWindowMs: 60_000 } },
    });
    for (let i = 0; i < 4; i++) Sentry.captureException(new Error(`sync ${i} failed`));
    Sentry.captureException(new Error('sync 9 failed'), { captureContext: { level: 'fatal' } });
    await flushTwice();
    await vi.waitFor(() => expect(ingest.items('event').length).toBe(2), { timeout: 5000 });
    const fatal = ingest.items<Sentry.Event>('event').find((e) => e.level === 'fatal');
    expect(fatal?.contexts?.sampling).toEqual({ dropped_since_last_kept: 3, sample_rate: 1 });
  });
});

describe("a burst's kept errors, processed over later turns", () => {
  /** 40 errors of 40 fingerprints (letters only: digits would be normalized away). */
  const step = (i: number) =>
    `${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`;

  it('sends each as it was at capture: its scopes, breadcrumbs, span, event id and lastEventId', async () => {
    handle = initObservability({
      dsn: ingest.dsn(),
      handleSignals: false,
      sampling: { errors: { keepFirstPerFingerprint: 1, sampleRate: 0 } },
    });
    let processedInTick = 0;
    Sentry.getClient()?.on('preprocessEvent', () => processedInTick++);
    const ids = new Map<string, string>();
    let traceId = '';
    Sentry.getIsolationScope().setTag('phase', 'during');
    Sentry.startSpan({ name: 'import batch' }, (span) => {
      traceId = span.spanContext().traceId;
      for (let i = 0; i < 40; i++) {
        Sentry.withScope((scope) => {
          scope.setTag('record', step(i));
          Sentry.addBreadcrumb({ message: `reading record ${step(i)}` });
          const id = Sentry.captureException(new Error(`import failed at record ${step(i)}`), {
            tags: { source: 'capture context' },
          });
          ids.set(step(i), id);
          expect(Sentry.lastEventId()).toBe(id);
        });
      }
    });
    // Changed after capture, in the same tick: waiting events must not see it.
    Sentry.getIsolationScope().setTag('phase', 'after');
    // The first 16 of the tick were processed in it; 24 wait (else this test tests nothing).
    expect(processedInTick).toBe(16);
    // A fatal one never waits: the process may be about to end.
    Sentry.captureException(new Error('the importer is going down'), { level: 'fatal' });
    expect(processedInTick).toBe(17);
    await flushTwice();
    await vi.waitFor(() => expect(ingest.items('event').length).toBe(41), { timeout: 10_000 });
    for (const event of ingest.items<Sentry.Event>('event').filter((e) => e.level !== 'fatal')) {
      expect(event.tags?.source).toBe('capture context');
      const record = event.tags?.record as string;
      expect(event.exception?.values?.at(-1)?.value).toBe(`import failed at record ${record}`);
      expect(event.event_id).toBe(ids.get(record));
      expect(event.tags?.phase).toBe('during');
      expect(event.contexts?.trace?.trace_id).toBe(traceId);
      expect(event.breadcrumbs?.at(-1)?.message).toBe(`reading record ${record}`);
    }
    expect(ingest.discarded()).toEqual({});
  });

  it('sends each waiting one with its scope as at capture, when errors share a scope that changes between some', async () => {
    handle = initObservability({
      dsn: ingest.dsn(),
      handleSignals: false,
      sampling: { errors: { keepFirstPerFingerprint: 1, sampleRate: 0 } },
    });
    // One scope for the whole loop, as a loop over bad records has: the waiting events share its
    // copies while it does not change. Changes that tell the scope's listeners (a tag) and one
    // that does not (an event processor) must each show from their record on, and not before.
    Sentry.withScope((scope) => {
      for (let i = 0; i < 40; i++) {
        if (i % 10 === 0) scope.setTag('batch', String(i / 10));
        if (i === 25)
          scope.addEventProcessor((event) => ({ ...event, extra: { ...event.extra, late: true } }));
        Sentry.captureException(new Error(`row failed at ${step(i)}`));
      }
      scope.setTag('batch', 'after');
      scope.addEventProcessor((event) => ({ ...event, extra: { ...event.extra, after: true } }));
    });
    await flushTwice();
    await vi.waitFor(() => expect(ingest.items('event').length).toBe(40), { timeout: 10_000 });
    const seen = ingest.items<Sentry.Event>('event').map((event) => {
      const record = (event.exception?.values?.at(-1)?.value ?? '').replace('row failed at ', '');
      const i = Array.from({ length: 40 }, (_, n) => step(n)).indexOf(record);
      return {
        i,
        batch: event.tags?.batch,
        late: event.extra?.late ?? false,
        after: event.extra?.after ?? false,
      };
    });
    expect(seen.sort((a, b) => a.i - b.i)).toEqual(
      Array.from({ length: 40 }, (_, i) => ({
        i,
        batch: String(Math.floor(i / 10)),
        late: i >= 25,
        after: false,
      })),
    );
  });

  it("carries the request's data, from Sentry's HTTP integration, on those that waited", async () => {
    handle = initObservability({
      dsn: ingest.dsn(),
      handleSignals: false,
      sampling: { errors: { keepFirstPerFingerprint: 1, sampleRate: 0 } },
    });
    const server = createServer((_req, res) => {
      for (let i = 0; i < 40; i++) Sentry.captureException(new Error(`row failed at ${step(i)}`));
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await fetch(`http://127.0.0.1:${port}/import?batch=seven`).then((res) => res.text());
    server.close();
    await flushTwice();
    await vi.waitFor(() => expect(ingest.items('event').length).toBe(40), { timeout: 10_000 });
    for (const event of ingest.items<Sentry.Event>('event')) {
      expect(event.request?.url).toContain('/import');
      expect(event.transaction).toBe('GET /import');
    }
  });

  it('processes those still waiting when the app closes at once', async () => {
    handle = initObservability({
      dsn: ingest.dsn(),
      handleSignals: false,
      sampling: { errors: { keepFirstPerFingerprint: 1, sampleRate: 0 } },
    });
    for (let i = 0; i < 40; i++) Sentry.captureException(new Error(`export failed at record ${step(i)}`));
    // Same tick: 24 are waiting.
    expect(await handle.close(5000)).toBe(true);
    handle = undefined;
    expect(ingest.items('event')).toHaveLength(40);
  });

  it('counts what does not fit its bound as queue_overflow, and loses nothing else', async () => {
    handle = initObservability({
      dsn: ingest.dsn(),
      handleSignals: false,
      maxPendingEvents: 10,
      // The transport's own bound (maxPendingEvents too, by default) raised: only the queue's counts here.
      sentry: { transportOptions: { bufferSize: 1000 } },
      sampling: { errors: { keepFirstPerFingerprint: 1, sampleRate: 0 } },
    });
    // 16 go at once, 10 wait, 14 do not fit.
    for (let i = 0; i < 40; i++) Sentry.captureException(new Error(`sync failed at record ${step(i)}`));
    await flushTwice();
    await vi.waitFor(() => expect(ingest.items('event').length).toBe(26), { timeout: 10_000 });
    await vi.waitFor(() => expect(ingest.discarded()).toEqual({ 'queue_overflow:error': 14 }), {
      timeout: 5000,
    });
  });
});

describe('sampling through initObservability', () => {
  it('reports dropped errors and unsampled spans in client reports, each exactly once', async () => {
    handle = initObservability({
      dsn: ingest.dsn(),
      handleSignals: false,
      sampling: { errors: { keepFirstPerFingerprint: 2, sampleRate: 0 }, traceRules: 'op:noisy=0; *=1' },
    });
    // One fingerprint (numbers are normalized away), but not identical: Sentry's dedupe
    // integration would drop exact repeats before the policy sees them.
    for (let i = 0; i < 5; i++) Sentry.captureException(new Error(`order ${i} failed`));
    for (let i = 0; i < 4; i++) {
      Sentry.startNewTrace(() =>
        Sentry.startSpan({ name: 'noisy work', op: 'noisy' }, () => {
          Sentry.startSpan({ name: 'child', op: 'step' }, () => undefined);
        }),
      );
    }
    await flushTwice();
    await vi.waitFor(() => expect(ingest.items('event').length).toBe(2), { timeout: 5000 });
    expect(ingest.discarded()).toEqual({ 'before_send:error': 3, 'sample_rate:span': 8 });
  });

  it('loses nothing when a user rule throws', async () => {
    handle = initObservability({
      dsn: ingest.dsn(),
      handleSignals: false,
      sampling: {
        errors: {
          keepFirstPerFingerprint: 0,
          sampleRate: 0,
          rules: [
            () => {
              throw new Error('buggy rule');
            },
          ],
        },
      },
    });
    for (let i = 0; i < 6; i++) Sentry.captureException(new Error(`failure ${i}`));
    await flushTwice();
    await vi.waitFor(() => expect(ingest.items('event').length).toBe(6), { timeout: 5000 });
    expect(ingest.discarded()['before_send:error']).toBeUndefined();
  });

  it('runs the user’s beforeSend after the policy, on kept events only', async () => {
    const seen: string[] = [];
    handle = initObservability({
      dsn: ingest.dsn(),
      handleSignals: false,
      sampling: { errors: { keepFirstPerFingerprint: 1, sampleRate: 0 } },
      sentry: {
        beforeSend: (event) => {
          seen.push(event.exception?.values?.[0]?.value ?? '');
          return event;
        },
      },
    });
    for (let i = 0; i < 3; i++) Sentry.captureException(new Error(`repeat ${i}`));
    await flushTwice();
    // Which of the three reaches the policy first depends on the SDK's asynchronous processing.
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^repeat \d$/);
  });

  it('keeps a downstream sample that is a subset of the upstream one (shared sample_rand)', () => {
    handle = initObservability({
      dsn: ingest.dsn(),
      handleSignals: false,
      sampling: {
        traceRules: '!op:forced-downstream=0.2; op:downstream=0.2; op:upstream=0.5',
        backpressure: false,
      },
    });
    const n = 2000;
    let upstream = 0;
    let forced = 0;
    let forcedOutsideUpstream = 0;
    let inheritedMismatch = 0;
    for (let i = 0; i < n; i++) {
      Sentry.withIsolationScope(() =>
        Sentry.startNewTrace(() => {
          let headers: { 'sentry-trace'?: string; baggage?: string } = {};
          let upSampled = false;
          Sentry.startSpan({ name: 'publish', op: 'upstream' }, (span) => {
            upSampled = spanIsSampled(span);
            headers = Sentry.getTraceData();
          });
          const downstream = (op: string) =>
            Sentry.withIsolationScope(() =>
              Sentry.continueTrace({ sentryTrace: headers['sentry-trace'], baggage: headers.baggage }, () =>
                Sentry.startSpan({ name: 'process', op }, (span) => spanIsSampled(span)),
              ),
            );
          const forcedSampled = downstream('forced-downstream');
          const inheritedSampled = downstream('downstream');
          if (upSampled) upstream++;
          if (forcedSampled) forced++;
          if (forcedSampled && !upSampled) forcedOutsideUpstream++;
          if (inheritedSampled !== upSampled) inheritedMismatch++;
        }),
      );
    }
    expect(upstream / n).toBeGreaterThan(0.45);
    expect(upstream / n).toBeLessThan(0.55);
    expect(forced / n).toBeGreaterThan(0.17);
    expect(forced / n).toBeLessThan(0.23);
    // Same sample_rand on both sides: the lower downstream rate keeps only traces the upstream kept.
    expect(forcedOutsideUpstream).toBe(0);
    // Without "!" the downstream follows the parent's decision exactly.
    expect(inheritedMismatch).toBe(0);
  });
});
