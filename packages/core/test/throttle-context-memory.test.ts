import type { Client, Event, EventHint } from '@sentry/core';
import { nodeContextIntegration } from '@sentry/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { throttleContextMemory } from '../src/throttle-context-memory.js';

// Sentry's own Context integration. process.memoryUsage is wrapped only to count how often the
// integration reads the memory figures (it calls it once per read, for events and spans alike).
const memoryUsage = process.memoryUsage;
let reads = 0;
beforeEach(() => {
  reads = 0;
  const counting = Object.assign(() => {
    reads++;
    return memoryUsage();
  }, memoryUsage);
  process.memoryUsage = counting as typeof process.memoryUsage;
});
afterEach(() => {
  process.memoryUsage = memoryUsage;
});

const client = {} as Client;
const hint: EventHint = {};
type SpanJSON = Parameters<NonNullable<ReturnType<typeof nodeContextIntegration>['processSegmentSpan']>>[0];
const span = (attributes: Record<string, unknown> = {}) => ({ attributes }) as unknown as SpanJSON;

describe('throttleContextMemory', () => {
  it('gives events the contexts Sentry gives them, reading the memory figures once for a burst', async () => {
    const stock = await nodeContextIntegration().processEvent?.({}, hint, client);
    const throttled = throttleContextMemory(nodeContextIntegration());
    // The integration reads the figures once as it is made.
    reads = 0;
    const events = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        throttled.processEvent?.({ contexts: { app: { app_name: `svc-${i}` } } }, hint, client),
      ),
    );
    expect(reads).toBe(1);
    const [first, last] = [events[0] as Event, events[199] as Event];
    expect(Object.keys(first.contexts ?? {}).sort()).toEqual(Object.keys(stock?.contexts ?? {}).sort());
    expect(first.contexts?.os).toEqual(stock?.contexts?.os);
    expect(first.contexts?.device?.arch).toBe(stock?.contexts?.device?.arch);
    expect(typeof last.contexts?.app?.app_memory).toBe('number');
    // The event's own fields win, and no two events share a context object.
    expect(last.contexts?.app?.app_name).toBe('svc-199');
    expect(first.contexts?.app?.app_name).toBe('svc-0');
    expect(first.contexts?.app).not.toBe(last.contexts?.app);
  });

  it('reads the figures again once they are older than the refresh interval', async () => {
    const throttled = throttleContextMemory(nodeContextIntegration(), 30);
    reads = 0;
    await throttled.processEvent?.({}, hint, client);
    await throttled.processEvent?.({}, hint, client);
    expect(reads).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 40));
    const later = (await throttled.processEvent?.({}, hint, client)) as Event;
    expect(reads).toBe(2);
    expect(typeof later.contexts?.app?.app_memory).toBe('number');
  });

  it('gives transactions the attributes Sentry gives them, reading the memory figures once a second', () => {
    const stock = span();
    nodeContextIntegration().processSegmentSpan?.(stock, client);
    const throttled = throttleContextMemory(nodeContextIntegration());
    reads = 0;
    const spans = Array.from({ length: 100 }, () => span({ 'app.memory': 1 }));
    for (const each of spans) throttled.processSegmentSpan?.(each, client);
    expect(reads).toBe(1);
    const attributes = spans[99]?.attributes ?? {};
    expect(Object.keys(attributes).sort()).toEqual(Object.keys(stock.attributes ?? {}).sort());
    expect(attributes['process.runtime.engine.name']).toBe('v8');
    // An attribute the span already has is left alone, as Sentry leaves it.
    expect(attributes['app.memory']).toBe(1);
    expect(typeof spans[0]?.attributes?.['app.free_memory']).toBe(
      typeof stock.attributes?.['app.free_memory'],
    );
  });
});
