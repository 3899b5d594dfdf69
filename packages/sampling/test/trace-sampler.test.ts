import type { BaseTransportOptions, Envelope, TracesSamplerSamplingContext, Transport } from '@sentry/core';
import { describe, expect, it } from 'vitest';
import {
  createBackpressure,
  createTraceSampler,
  PRESAMPLE_SYMBOL,
  PRESAMPLED_RATE_ATTRIBUTE,
  parseTraceRules,
} from '../src/index.js';
import { fakeClock } from './fake-clock.js';

function context(
  attributes: Record<string, unknown>,
  extra: Partial<TracesSamplerSamplingContext> = {},
  name = 'GET',
): TracesSamplerSamplingContext {
  const ctx = { name, attributes, ...extra } as TracesSamplerSamplingContext;
  ctx.inheritOrSampleWith = (fallback) => {
    if (typeof ctx.parentSampleRate === 'number') return ctx.parentSampleRate;
    if (typeof ctx.parentSampled === 'boolean') return Number(ctx.parentSampled);
    return fallback;
  };
  return ctx;
}

describe('parseTraceRules', () => {
  it('parses the documented grammar', () => {
    expect(parseTraceRules('route:/checkout*=0.5; route:/health*=0; !topic:orders=0.2; *=0.1')).toEqual([
      { kind: 'route', pattern: '/checkout*', rate: 0.5, force: false, text: 'route:/checkout*=0.5' },
      { kind: 'route', pattern: '/health*', rate: 0, force: false, text: 'route:/health*=0' },
      { kind: 'topic', pattern: 'orders', rate: 0.2, force: true, text: '!topic:orders=0.2' },
      { kind: 'any', pattern: '*', rate: 0.1, force: false, text: '*=0.1' },
    ]);
  });

  it.each([
    ['route:/checkout', 'expected <kind>:<pattern>=<rate>'],
    ['route:/checkout=1.5', 'rate "1.5" is not a number from 0 to 1'],
    ['route:/checkout=', 'rate "" is not a number from 0 to 1'],
    ['path:/checkout=0.5', 'unknown kind "path"'],
    ['/checkout=0.5', 'expected <kind>:<pattern> before "="'],
    ['route:=0.5', 'the pattern is empty'],
  ])('rejects %j, quoting it and saying why', (text, why) => {
    expect(() => parseTraceRules(`*=1; ${text}`)).toThrow(`rule "${text}": ${why}`);
  });
});

describe('createTraceSampler', () => {
  const sampler = createTraceSampler({
    rate: 0.1,
    rules: 'route:/checkout*=0.5; op:db.query=0.05; topic:orders=0.2; method:DELETE=1; name:nightly-*=0.3',
  });

  it('matches rules on span-start attributes, first match winning', () => {
    expect(sampler(context({ 'url.path': '/checkout/pay' }))).toBe(0.5);
    expect(sampler(context({ 'http.route': '/checkout/:id', 'url.path': '/x' }))).toBe(0.5);
    expect(sampler(context({ 'sentry.op': 'db.query' }))).toBe(0.05);
    expect(sampler(context({ 'messaging.destination.name': 'orders' }))).toBe(0.2);
    expect(sampler(context({ 'http.request.method': 'DELETE', 'url.path': '/items/1' }))).toBe(1);
    expect(sampler(context({}, {}, 'nightly-report'))).toBe(0.3);
    expect(sampler(context({ 'url.path': '/other' }))).toBe(0.1);
  });

  it("respects the parent's decision unless a rule forces", () => {
    expect(
      sampler(context({ 'url.path': '/checkout' }, { parentSampled: true, parentSampleRate: 0.7 })),
    ).toBe(0.7);
    expect(sampler(context({ 'url.path': '/checkout' }, { parentSampled: false }))).toBe(0);
    const forcing = createTraceSampler({ rules: '!topic:audit=1; *=0.1' });
    expect(forcing(context({ 'messaging.destination.name': 'audit' }, { parentSampled: false }))).toBe(1);
    expect(forcing.stats().inherited).toBe(0);
  });

  it('deprioritizes health checks by 3, or to a configured rate, unless a rule names them', () => {
    expect(createTraceSampler({ rate: 0.6 })(context({ 'url.path': '/healthz' }))).toBeCloseTo(0.2);
    expect(createTraceSampler({ rate: 0.6 })(context({}, {}, 'GET /api/heartbeat'))).toBeCloseTo(0.2);
    expect(
      createTraceSampler({ rate: 0.6, healthChecks: { rate: 0 } })(context({ 'url.path': '/ready' })),
    ).toBe(0);
    expect(
      createTraceSampler({ rate: 0.6, rules: 'route:/healthz=1' })(context({ 'url.path': '/healthz' })),
    ).toBe(1);
    expect(createTraceSampler({ rate: 0.6, healthChecks: false })(context({ 'url.path': '/healthz' }))).toBe(
      0.6,
    );
  });

  it('never throws: a broken context falls back to the parent or the default rate', () => {
    const broken = context({});
    Object.defineProperty(broken, 'attributes', {
      get() {
        throw new Error('hostile getter');
      },
    });
    const s = createTraceSampler({ rate: 0.4 });
    expect(s(broken)).toBe(0.4);
    expect(s.stats().errors).toBe(1);
  });

  it('returns a presampled rate as given, without deciding or counting again', () => {
    const s = createTraceSampler({ rules: 'topic:orders=0.3', target: { perMinute: 10 } });
    expect(s[PRESAMPLE_SYMBOL]).toBe(true);
    const attributes = { 'messaging.destination.name': 'orders', 'sentry.op': 'queue.process' };
    const rate = s(context(attributes));
    expect(s.stats().decisions).toBe(1);
    // Sentry asks again when the instrumentation starts the span it decided to sample.
    expect(s(context({ ...attributes, [PRESAMPLED_RATE_ATTRIBUTE]: rate }))).toBe(rate);
    expect(s(context({ ...attributes, [PRESAMPLED_RATE_ATTRIBUTE]: 0.25 }))).toBe(0.25);
    expect(s.stats().decisions).toBe(1);
  });
});

describe('backpressure', () => {
  function failingTransport(results: ('ok' | 'fail' | '429')[]) {
    return (options: BaseTransportOptions): Transport => ({
      send: async (_envelope: Envelope) => {
        const result = results.shift() ?? 'ok';
        if (result === 'fail') {
          options.recordDroppedEvent('network_error', 'error');
          throw new Error('ECONNREFUSED');
        }
        if (result === '429')
          return { statusCode: 429, headers: { 'retry-after': '25', 'x-sentry-rate-limits': null } };
        return { statusCode: 200 };
      },
      flush: async () => true,
    });
  }

  it('halves new traces’ rates at each unhealthy check down to 1/1024, and resets when healthy', async () => {
    const clock = fakeClock();
    const backpressure = createBackpressure({ clock });
    const dropped: string[] = [];
    const transport = backpressure.wrapTransport(failingTransport(Array(12).fill('fail')))({
      url: 'http://x',
      recordDroppedEvent: (reason) => void dropped.push(reason),
    });
    const sampler = createTraceSampler({ rate: 1, backpressure, clock });
    const factors: number[] = [];
    for (let check = 0; check < 12; check++) {
      await Promise.resolve(transport.send([{}, []] as unknown as Envelope)).catch(() => undefined);
      clock.advance(10_000);
      factors.push(sampler(context({ 'url.path': '/x' })));
    }
    expect(factors.slice(0, 3)).toEqual([0.5, 0.25, 0.125]);
    expect(factors.at(-1)).toBe(1 / 1024);
    // The SDK's own drop record still goes through, once.
    expect(dropped).toHaveLength(12);
    clock.advance(10_000);
    expect(sampler(context({ 'url.path': '/x' }))).toBe(1);
  });

  it('stays unhealthy while a rate limit is active', async () => {
    const clock = fakeClock();
    const backpressure = createBackpressure({ clock });
    const transport = backpressure.wrapTransport(failingTransport(['429']))({
      url: 'http://x',
      recordDroppedEvent: () => undefined,
    });
    await transport.send([{}, []] as unknown as Envelope);
    clock.advance(10_000);
    expect(backpressure.factor()).toBe(0.5); // still inside the 25 s Retry-After
    clock.advance(10_000);
    expect(backpressure.factor()).toBe(0.25);
    clock.advance(10_000);
    expect(backpressure.factor()).toBe(1); // limit over
  });

  it('does not touch continued traces', () => {
    const clock = fakeClock();
    const backpressure = createBackpressure({ clock });
    backpressure.reportTrouble();
    clock.advance(10_000);
    const sampler = createTraceSampler({ rate: 1, backpressure, clock });
    expect(sampler(context({}, { parentSampled: true, parentSampleRate: 1 }))).toBe(1);
    expect(sampler(context({}))).toBe(0.5);
  });
});
