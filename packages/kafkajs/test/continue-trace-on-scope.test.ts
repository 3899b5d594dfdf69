import { Scope } from '@sentry/core';
import { describe, expect, it } from 'vitest';
import { continueTraceOnScope } from '../src/continue-trace-on-scope.js';
import { newTraceId } from '../src/new-trace-id.js';

describe('continueTraceOnScope', () => {
  it('gives a message without headers a new trace, not the one its scope was forked with', () => {
    const outer = new Scope();
    const seen = new Set([outer.getPropagationContext().traceId]);
    for (let i = 0; i < 300; i++) {
      const scope = outer.clone();
      continueTraceOnScope(undefined, scope, undefined, undefined);
      const { traceId, sampleRand, parentSpanId } = scope.getPropagationContext();
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(sampleRand).toBeGreaterThanOrEqual(0);
      expect(sampleRand).toBeLessThan(1);
      expect(parentSpanId).toBeUndefined();
      seen.add(traceId);
    }
    // 300 messages, 300 traces, none of them the outer scope's.
    expect(seen.size).toBe(301);
  });

  it('keeps a trace the scope continues when the message brings none, as withIsolationScope does', () => {
    const outer = new Scope();
    const continued = { traceId: 'a'.repeat(32), parentSpanId: 'b'.repeat(16), sampleRand: 0.3, dsc: {} };
    outer.setPropagationContext(continued);
    const scope = outer.clone();
    continueTraceOnScope(undefined, scope, undefined, undefined);
    expect(scope.getPropagationContext()).toEqual(continued);
  });

  it("continues the producer's trace from its headers", () => {
    const scope = new Scope();
    const traceId = 'c'.repeat(32);
    continueTraceOnScope(
      undefined,
      scope,
      `${traceId}-${'d'.repeat(16)}-1`,
      `sentry-trace_id=${traceId},sentry-sample_rand=0.25`,
    );
    expect(scope.getPropagationContext()).toMatchObject({
      traceId,
      parentSpanId: 'd'.repeat(16),
      sampled: true,
      sampleRand: 0.25,
    });
  });
});

describe('newTraceId', () => {
  it('draws distinct 32-digit hex ids across refills of its pool', () => {
    const ids = Array.from({ length: 1000 }, newTraceId);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(1000);
  });
});
