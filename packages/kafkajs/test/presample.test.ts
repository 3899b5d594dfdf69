import { PRESAMPLED_RATE_ATTRIBUTE } from '@faultline/contract';
import { createTraceSampler } from '@faultline/sampling';
import type { Client } from '@sentry/core';
import * as Sentry from '@sentry/node';
import { afterEach, describe, expect, it } from 'vitest';
import { continueTraceOnScope } from '../src/continue-trace-on-scope.js';
import { presample } from '../src/presample.js';

// The real SDK decides too, for the same message in the same scope: presample must agree with it.
// Nothing is sent: the transport discards.
function init(options: Sentry.NodeOptions): Client {
  Sentry.init({
    dsn: 'http://key@127.0.0.1:9/1',
    integrations: [],
    defaultIntegrations: false,
    transport: () => ({ send: async () => ({}), flush: async () => true }),
    ...options,
  });
  const client = Sentry.getClient();
  if (!client) throw new Error('no client');
  return client;
}
afterEach(() => Sentry.close(0));

const attributes = () => ({ 'sentry.op': 'queue.process', 'messaging.destination.name': 'orders' });

/** presample's answer and the SDK's own decision for one message with these headers, in one scope. */
function sdkSampled(client: Client, sentryTrace?: string, baggage?: string) {
  return Sentry.withIsolationScope(() => {
    const scope = Sentry.getCurrentScope();
    continueTraceOnScope(client, scope, sentryTrace, baggage);
    const ours = presample(client, scope, 'process orders', attributes);
    // As the consumer does: a rate from Faultline's sampler goes with the span it starts.
    const handed = ours?.rate === undefined ? {} : { [PRESAMPLED_RATE_ATTRIBUTE]: ours.rate };
    let sampled = false;
    Sentry.startSpan({ name: 'process orders', attributes: { ...attributes(), ...handed } }, (span) => {
      sampled = span.isRecording();
    });
    return { ours, sampled };
  });
}

describe('presample', () => {
  it("agrees with the SDK's decision at a fractional rate, message by message", () => {
    const client = init({ tracesSampleRate: 0.3 });
    let sampled = 0;
    for (let i = 0; i < 300; i++) {
      const { ours, sampled: sdk } = sdkSampled(client);
      expect(ours?.sampled).toBe(sdk);
      if (sdk) sampled++;
    }
    expect(sampled).toBeGreaterThan(30);
    expect(sampled).toBeLessThan(180);
  });

  it("follows the parent's decision from the headers, as the SDK does without a sampler", () => {
    const trace = 'a'.repeat(32);
    const parent = 'b'.repeat(16);
    let client = init({ tracesSampleRate: 0 });
    expect(sdkSampled(client, `${trace}-${parent}-1`)).toEqual({ ours: { sampled: true }, sampled: true });
    client = init({ tracesSampleRate: 1 });
    expect(sdkSampled(client, `${trace}-${parent}-0`)).toEqual({ ours: { sampled: false }, sampled: false });
  });

  it('counts an unsampled message once in the client report, as a dropped span', () => {
    const client = init({ tracesSampleRate: 0 });
    const recorded: string[] = [];
    const record = client.recordDroppedEvent.bind(client);
    client.recordDroppedEvent = (reason, category, quantity) => {
      recorded.push(`${reason}:${category}`);
      record(reason, category, quantity);
    };
    Sentry.withIsolationScope(() =>
      presample(client, Sentry.getCurrentScope(), 'process orders', attributes),
    );
    // Span streaming is the SDK's default: no transaction is counted then.
    expect(recorded).toEqual(['sample_rate:span']);
  });

  it('says no without counting when tracing is off', () => {
    const client = init({});
    const recorded: string[] = [];
    client.recordDroppedEvent = (reason, category) => void recorded.push(`${reason}:${category}`);
    const ours = Sentry.withIsolationScope(() =>
      presample(client, Sentry.getCurrentScope(), 'process orders', attributes),
    );
    expect(ours).toEqual({ sampled: false });
    expect(recorded).toEqual([]);
  });

  it("asks Faultline's sampler and hands its rate over; leaves a user's sampler to the SDK", () => {
    const sampler = createTraceSampler({ rules: 'topic:orders=0.4' });
    let client = init({ tracesSampler: sampler });
    for (let i = 0; i < 100; i++) {
      const { ours, sampled } = sdkSampled(client);
      expect(ours?.sampled).toBe(sampled);
      expect(ours?.rate).toBe(0.4);
    }
    // One decision per message: the SDK's own question is answered from the handed-over rate.
    expect(sampler.stats().decisions).toBe(100);

    let calls = 0;
    client = init({
      tracesSampler: () => {
        calls++;
        return 1;
      },
    });
    expect(sdkSampled(client).ours).toBeUndefined();
    expect(calls).toBe(1);
  });

  it('leaves the decision to the SDK when something listens to beforeSampling', () => {
    const client = init({ tracesSampleRate: 1 });
    client.on('beforeSampling', (data) => {
      data.parentSampled = false;
    });
    expect(sdkSampled(client)).toEqual({ ours: undefined, sampled: false });
  });
});
