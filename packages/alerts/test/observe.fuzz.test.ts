import { envelopeBytesArbitrary, fc } from '@faultline/testkit';
import { describe, expect, it } from 'vitest';
import { createAlertEvaluator, MAX_DROPPED_PER_EVENT, observe } from '../src/index.js';

// Property tests: random, mutated and deeply nested envelopes, read as the alerts read them and
// fed to the rules. Nothing throws out; every observation is a value the rules can trust.
const DSN = 'http://publickey@127.0.0.1:9/42';
const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);

describe('observe() and the rules, on anything', () => {
  it('never throw, and observations are bounded: finite times, capped weights, short titles', () => {
    const evaluator = createAlertEvaluator({ graceMs: 0 });
    let now = NOW;
    fc.assert(
      fc.property(envelopeBytesArbitrary(DSN), (value) => {
        const observed = observe(value);
        if (observed === undefined) return;
        for (const o of observed) {
          expect(Number.isFinite(o.at)).toBe(true);
          if (o.kind === 'error') {
            expect(o.weight).toBeGreaterThanOrEqual(1);
            expect(o.weight).toBeLessThanOrEqual(1 + MAX_DROPPED_PER_EVENT);
            expect(o.title.length).toBeLessThanOrEqual(200);
            expect(typeof o.fingerprint).toBe('string');
          } else {
            expect(o.durationMs).toBeGreaterThanOrEqual(0);
          }
        }
        evaluator.observe(observed, now);
        now += 1_000;
        evaluator.tick(now);
      }),
      { numRuns: 2_000 },
    );
  });
});
