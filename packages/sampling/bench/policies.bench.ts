import { silentLogger } from '@faultline/contract';
import type { ErrorEvent, TracesSamplerSamplingContext } from '@sentry/core';
import { afterAll, bench, describe } from 'vitest';
import { createErrorPolicy, createSeededRandom, createTraceSampler } from '../src/index.js';

// Per-decision cost of the error policy and the trace sampler, each beside a fixed-rate
// baseline function measured in the same run, and the heap while the policy sees 1,000,000
// events over 10,000 fingerprints (it should stop growing at the table size).

const FINGERPRINTS = 10_000;
const events: ErrorEvent[] = Array.from({ length: FINGERPRINTS }, (_, i) => ({
  type: undefined,
  level: i % 10 === 0 ? 'warning' : 'error',
  exception: {
    values: [
      {
        type: `Error${i % 97}`,
        value: `request ${i * 7919} failed for tenant ${i % 13}: code E${i}`,
        stacktrace: {
          frames: [
            { filename: 'node:internal/process', function: 'processTicks', in_app: false },
            { filename: `app/module-${i % 211}.js`, function: `handler${i}`, in_app: true },
          ],
        },
      },
    ],
  },
}));

const random = createSeededRandom(1);
const fixedRate = (event: ErrorEvent) => (random() < 0.1 ? event : null);
const policy = createErrorPolicy({ sampleRate: 0.1, spike: false, random, logger: silentLogger });
let e1 = 0;
let e2 = 0;

describe('error decision (10,000 fingerprints)', () => {
  bench('baseline: fixed 10% rate', () => {
    fixedRate(events[e1++ % FINGERPRINTS] as ErrorEvent);
  });
  bench('createErrorPolicy', () => {
    policy(events[e2++ % FINGERPRINTS] as ErrorEvent, {});
  });
});

const ROUTES = 1000;
const contexts: TracesSamplerSamplingContext[] = Array.from({ length: ROUTES }, (_, i) => ({
  name: 'GET',
  attributes: {
    'url.path': `/api/v1/resource-${i % 200}/${i}`,
    'http.request.method': 'GET',
    'sentry.op': 'http.server',
  },
  inheritOrSampleWith: (fallback: number) => fallback,
}));
// 50 rules, most of which do not match: the sampler walks them for nearly every decision.
const rules = [
  ...Array.from({ length: 48 }, (_, i) => `route:/internal/service-${i}/*=0.${(i % 9) + 1}`),
  'topic:orders=0.2',
  '*=0.1',
].join('; ');
const sampler = createTraceSampler({ rate: 0.1, rules, target: { perMinute: 600 } });
const fixedSampler = (context: TracesSamplerSamplingContext) => context.inheritOrSampleWith(0.1);
let t1 = 0;
let t2 = 0;

describe('trace decision (50 rules, target mode on)', () => {
  bench('baseline: fixed 10% rate', () => {
    fixedSampler(contexts[t1++ % ROUTES] as TracesSamplerSamplingContext);
  });
  bench('createTraceSampler', () => {
    sampler(contexts[t2++ % ROUTES] as TracesSamplerSamplingContext);
  });
});

afterAll(() => {
  const gc = (globalThis as { gc?: () => void }).gc;
  const heap = () => {
    gc?.();
    return process.memoryUsage().heapUsed / 1024 / 1024;
  };
  const fresh = createErrorPolicy({ sampleRate: 0.1, spike: false, logger: silentLogger });
  const start = heap();
  const readings: string[] = [];
  for (let i = 1; i <= 1_000_000; i++) {
    fresh(events[i % FINGERPRINTS] as ErrorEvent, {});
    if (i % 250_000 === 0) readings.push(`${i / 1000}k events: ${(heap() - start).toFixed(1)} MB`);
  }
  console.log(
    `error policy heap growth over 1,000,000 events, ${FINGERPRINTS} fingerprints` +
      `${gc ? '' : ' (no --expose-gc: noisy)'}: ${readings.join(', ')}; table ${fresh.stats().fingerprints} entries`,
  );
});
