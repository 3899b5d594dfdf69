import { silentLogger } from '@faultline/contract';
import type { ErrorEvent, SeverityLevel } from '@sentry/core';
import { describe, expect, it, vi } from 'vitest';
import { createErrorPolicy, createSeededRandom, type ErrorPolicyOptions } from '../src/index.js';
import { fakeClock } from './fake-clock.js';

function errorEvent(message: string, level: SeverityLevel = 'error', type = 'TypeError'): ErrorEvent {
  return {
    type: undefined,
    level,
    exception: {
      values: [
        {
          type,
          value: message,
          stacktrace: { frames: [{ filename: 'app/orders.js', function: 'placeOrder', in_app: true }] },
        },
      ],
    },
  };
}

function run(options: ErrorPolicyOptions, events: ErrorEvent[]) {
  const policy = createErrorPolicy({ logger: silentLogger, ...options });
  const kept = events.map((event) => policy(event, {})).filter((e): e is ErrorEvent => e !== null);
  return { policy, kept };
}

describe('createErrorPolicy', () => {
  it('keeps the first N of each fingerprint per window, then samples', () => {
    const clock = fakeClock();
    const policy = createErrorPolicy({ keepFirstPerFingerprint: 3, sampleRate: 0, clock, random: () => 0.5 });
    const results = Array.from({ length: 5 }, () => policy(errorEvent('order 1 failed'), {}));
    expect(results.map((r) => r !== null)).toEqual([true, true, true, false, false]);

    // Another fingerprint has its own count.
    expect(policy(errorEvent('different', 'error', 'RangeError'), {})).not.toBeNull();
    // A new window starts the count again.
    clock.advance(60_000);
    expect(policy(errorEvent('order 2 failed'), {})).not.toBeNull();
    expect(policy.stats()).toMatchObject({ seen: 7, kept: 5, dropped: { sampled: 2 } });
  });

  it('groups messages that differ only in numbers, ids and hex', () => {
    const { policy } = run({ keepFirstPerFingerprint: 1, sampleRate: 0 }, [
      errorEvent('user 4123 not found in shard 0x1f'),
      errorEvent('user 77 not found in shard 0xab'),
      errorEvent('user 5f0c2a1e-0b1d-4c7f-8a0e-5b2d6c9f1a3e not found in shard 0x2'),
    ]);
    expect(policy.stats()).toMatchObject({ kept: 1, dropped: { sampled: 2 }, fingerprints: 1 });
  });

  it("uses the event's own fingerprint when it has one", () => {
    const a = { ...errorEvent('x'), fingerprint: ['payments', 'timeout'] };
    const b = { ...errorEvent('something else entirely'), fingerprint: ['payments', 'timeout'] };
    const { policy } = run({ keepFirstPerFingerprint: 1, sampleRate: 0 }, [a, b]);
    expect(policy.stats().fingerprints).toBe(1);
    expect(policy.stats().dropped.sampled).toBe(1);
  });

  it('always keeps fatal events', () => {
    const { kept } = run(
      { keepFirstPerFingerprint: 0, sampleRate: 0, budgetPerMinute: 1 },
      Array.from({ length: 5 }, () => errorEvent('boom', 'fatal')),
    );
    expect(kept).toHaveLength(5);
  });

  it('tells a kept event how many of its fingerprint were dropped, and the rate', () => {
    const rolls = [0.9, 0.9, 0.1]; // dropped, dropped, kept at rate 0.5
    const policy = createErrorPolicy({
      keepFirstPerFingerprint: 1,
      sampleRate: 0.5,
      random: () => rolls.shift() ?? 0,
    });
    policy(errorEvent('e'), {});
    policy(errorEvent('e'), {});
    policy(errorEvent('e'), {});
    const kept = policy(errorEvent('e'), {});
    expect(kept?.contexts?.sampling).toEqual({ dropped_since_last_kept: 2, sample_rate: 0.5 });
    // The count starts again after it was reported.
    const rollsAgain = policy(errorEvent('e'), {});
    expect(rollsAgain?.contexts?.sampling).toBeUndefined();
  });

  it('caps errors with a budget that refills over time', () => {
    const clock = fakeClock();
    const policy = createErrorPolicy({
      keepFirstPerFingerprint: 0,
      sampleRate: 1,
      budgetPerMinute: 5,
      clock,
    });
    const first = Array.from({ length: 8 }, (_, i) => policy(errorEvent(`e${'x'.repeat(i)}`), {}));
    expect(first.filter(Boolean)).toHaveLength(5);
    expect(policy.stats().dropped.budget).toBe(3);
    clock.advance(12_000); // one token (5 per minute)
    expect(policy(errorEvent('late'), {})).not.toBeNull();
    expect(policy(errorEvent('later'), {})).toBeNull();
  });

  it('drops low levels only under load', () => {
    const clock = fakeClock();
    const policy = createErrorPolicy({
      dropLevelsUnderLoad: ['info', 'debug'],
      loadPerMinute: 20,
      spike: false,
      clock,
    });
    expect(policy(errorEvent('calm', 'info'), {})).not.toBeNull();
    for (let i = 0; i < 25; i++) policy(errorEvent(`busy ${i}`, 'error', `E${i}`), {});
    expect(policy(errorEvent('busy', 'info'), {})).toBeNull();
    expect(policy(errorEvent('busy', 'debug'), {})).toBeNull();
    expect(policy(errorEvent('still kept', 'warning'), {})).not.toBeNull();
    expect(policy.stats().dropped.level).toBe(2);
    clock.advance(70_000); // the load window has passed
    expect(policy(errorEvent('calm again', 'info'), {})).not.toBeNull();
  });

  it('drops low levels inside peak hours, in their time zone', () => {
    const clock = fakeClock(Date.UTC(2026, 10, 25, 9, 30)); // 10:30 in Berlin (UTC+1 in November)
    const policy = createErrorPolicy({
      dropLevelsUnderLoad: ['info'],
      peakHours: '10:00-12:00 Europe/Berlin',
      spike: false,
      clock,
    });
    expect(policy(errorEvent('peak', 'info'), {})).toBeNull();
    clock.set(Date.UTC(2026, 10, 25, 11, 30)); // 12:30 in Berlin
    expect(policy(errorEvent('after peak', 'info'), {})).not.toBeNull();
  });

  it('switches to protective sampling in a spike, and says so once each way', () => {
    const clock = fakeClock();
    const warn = vi.fn();
    const info = vi.fn();
    const addBreadcrumb = vi.fn();
    const policy = createErrorPolicy({
      keepFirstPerFingerprint: 0,
      sampleRate: 1,
      spikeRateFactor: 0,
      logger: { ...silentLogger, warn, info },
      addBreadcrumb,
      clock,
      random: createSeededRandom(1),
    });
    // Five minutes at a steady 60 per minute: the baseline.
    for (let s = 0; s < 300; s++) {
      policy(errorEvent('steady'), {});
      clock.advance(1000);
    }
    expect(policy.stats().spiking).toBe(false);
    // Then 20 per second.
    let droppedInSpike = 0;
    for (let i = 0; i < 600; i++) {
      if (policy(errorEvent('storm'), {}) === null) droppedInSpike++;
      clock.advance(50);
    }
    expect(policy.stats().spiking).toBe(true);
    expect(droppedInSpike).toBeGreaterThan(400);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toMatch(/^error spike: \d+\/min against a baseline of \d+\/min/);
    expect(addBreadcrumb).toHaveBeenCalledTimes(1);
    expect(addBreadcrumb.mock.calls[0]?.[0]).toMatchObject({
      category: 'faultline.sampling',
      level: 'warning',
    });

    // Back to the steady rate: the spike ends, once.
    for (let s = 0; s < 240; s++) {
      policy(errorEvent('steady'), {});
      clock.advance(1000);
    }
    expect(policy.stats().spiking).toBe(false);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(info).toHaveBeenCalledTimes(1);
    expect(info.mock.calls[0]?.[0]).toMatch(/^error spike over/);
  });

  it('runs user rules first; a throwing rule keeps the event and is counted', () => {
    const policy = createErrorPolicy({
      keepFirstPerFingerprint: 0,
      sampleRate: 0,
      rules: [
        (event) => (event.tags?.team === 'payments' ? 'keep' : undefined),
        (event) => (event.tags?.noisy ? 'drop' : undefined),
        (event) => {
          if (event.tags?.broken) throw new Error('rule bug');
          return undefined;
        },
        (event) => (event.tags?.half ? 1 : undefined),
      ],
    });
    const tagged = (tags: Record<string, string>) => ({ ...errorEvent(JSON.stringify(tags)), tags });
    expect(policy(tagged({ team: 'payments' }), {})).not.toBeNull();
    expect(policy(tagged({ noisy: '1', team: 'x' }), {})).toBeNull();
    expect(policy(tagged({ broken: '1' }), {})).not.toBeNull();
    expect(policy(tagged({ half: '1' }), {})).not.toBeNull();
    expect(policy(tagged({ other: '1' }), {})).toBeNull();
    expect(policy.stats()).toMatchObject({ ruleErrors: 1, dropped: { rule: 1, sampled: 1 } });
  });

  it('keeps its fingerprint table within the configured size', () => {
    const { policy } = run(
      { maxFingerprints: 100 },
      Array.from({ length: 1000 }, (_, i) =>
        errorEvent('same message', 'error', `Error${String.fromCharCode(65 + (i % 26))}${i}`),
      ),
    );
    expect(policy.stats().fingerprints).toBe(100);
  });

  it('never throws, even on malformed events', () => {
    const policy = createErrorPolicy();
    const weird = { exception: { values: [null] }, fingerprint: 'not-an-array' } as unknown as ErrorEvent;
    expect(() => policy(weird, {})).not.toThrow();
    expect(policy(weird, {})).toBe(weird);
  });

  it('achieves its sample rate within tolerance', () => {
    const policy = createErrorPolicy({
      keepFirstPerFingerprint: 0,
      sampleRate: 0.25,
      spike: false, // 100,000 events in one instant would be a spike
      random: createSeededRandom(42),
    });
    let kept = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) if (policy(errorEvent('hot path'), {})) kept++;
    expect(kept / n).toBeGreaterThan(0.24);
    expect(kept / n).toBeLessThan(0.26);
  });
});

describe('fingerprints', () => {
  it('normalizes volatile words and keeps the rest', async () => {
    const { normalizeMessage, fingerprintOf, fingerprintHash } = await import('../src/index.js');
    expect(normalizeMessage('user 4123 not found in shard 0x1f')).toBe('user # not found in shard #');
    expect(normalizeMessage('id 5f0c2a1e-0b1d-4c7f-8a0e-5b2d6c9f1a3e, token deadbeefcafe')).toBe(
      'id #, token #',
    );
    expect(normalizeMessage('order-service timed out after 30.5s')).toBe('order-service timed out after #.#');
    const a = errorEvent('user 1 not found');
    const b = errorEvent('user 2 not found');
    expect(fingerprintOf(a)).toBe('TypeError | user # not found | app/orders.js | placeOrder');
    expect(fingerprintHash(a)).toBe(fingerprintHash(b));
    expect(fingerprintHash(a)).not.toBe(
      fingerprintHash(errorEvent('user 1 not found', 'error', 'RangeError')),
    );
  });
});

describe('fingerprintHash and fingerprintOf agree', () => {
  it('hash equal exactly when the readable fingerprints are equal', async () => {
    const { fingerprintOf, fingerprintHash } = await import('../src/index.js');
    const messages = [
      'user 1 not found',
      'user 22 not found',
      'user abc not found',
      'id 5f0c2a1e-0b1d-4c7f-8a0e-5b2d6c9f1a3e failed',
      'id 0a1b2c3d-0b1d-4c7f-8a0e-000000000000 failed',
      'id x-y failed',
      'order-service timed out after 30.5s',
      'order-service timed out after 2s',
      'token deadbeefcafe expired',
      'token deadbeef expired',
      'token dead expired',
      '-leading dash 1-',
      'x'.repeat(250),
      `${'x'.repeat(199)}1 tail`,
    ];
    const events = messages.flatMap((m) => [errorEvent(m), errorEvent(m, 'error', 'RangeError')]);
    for (const a of events) {
      for (const b of events) {
        expect(fingerprintHash(a) === fingerprintHash(b)).toBe(fingerprintOf(a) === fingerprintOf(b));
      }
    }
  });
});
