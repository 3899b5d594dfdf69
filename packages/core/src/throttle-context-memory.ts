import { type Contexts, type Event, type Integration, safeSetSpanJSONAttributes } from '@sentry/core';

/** How old the memory figures on an event or a transaction may be. @default 1000 ms */
export const CONTEXT_REFRESH_MS = 1000;

type SpanJSON = Parameters<NonNullable<Integration['processSegmentSpan']>>[0];

/**
 * Makes Sentry's Context integration read the process's memory figures at most once per
 * `refreshMs`, instead of once per error event and once per transaction. Each read calls
 * `process.memoryUsage()` (a full heap walk where only the RSS is used), `os.freemem()` and
 * `process.availableMemory()` (cgroup files): about 28 µs on this project's machines, most of a
 * transaction's cost when every Kafka message is one, and 1,900 × 28 µs within the tick of a
 * burst of kept errors. Events and spans get the integration's own contexts and attributes, taken
 * from one run of it on an empty event or span; the memory figures in them are at most
 * `refreshMs` old.
 */
export function throttleContextMemory(integration: Integration, refreshMs = CONTEXT_REFRESH_MS): Integration {
  const { processEvent, processSegmentSpan } = integration;
  let contexts: Contexts | undefined;
  let contextsAt = Number.NEGATIVE_INFINITY;
  let refreshing: Promise<Contexts | undefined> | undefined;
  let attributes: SpanJSON['attributes'];
  let attributesAt = Number.NEGATIVE_INFINITY;

  const throttled: Integration = { ...integration };
  if (processEvent) {
    throttled.processEvent = (event, hint, client) => {
      if (contexts && Date.now() - contextsAt < refreshMs) return withContexts(event, contexts);
      // Events that come while a read is under way wait for that read instead of starting theirs.
      refreshing ??= Promise.resolve(processEvent.call(integration, {}, hint, client)).then(
        (scratch) => {
          refreshing = undefined;
          contexts = scratch?.contexts;
          contextsAt = Date.now();
          return contexts;
        },
        () => {
          refreshing = undefined;
          return undefined;
        },
      );
      return refreshing.then((fresh) => withContexts(event, fresh));
    };
  }
  if (processSegmentSpan) {
    throttled.processSegmentSpan = (span, client) => {
      const now = Date.now();
      if (!attributes || now - attributesAt >= refreshMs) {
        const scratch = { attributes: {} } as SpanJSON;
        processSegmentSpan.call(integration, scratch, client);
        attributes = scratch.attributes;
        attributesAt = now;
      }
      if (attributes) safeSetSpanJSONAttributes(span, attributes);
    };
  }
  return throttled;
}

/**
 * The event with the integration's contexts under its own, as the integration merges them: a
 * field the event already has wins.
 */
function withContexts(event: Event, contexts: Contexts | undefined): Event {
  if (!contexts) return event;
  const merged: Contexts = { ...event.contexts };
  for (const [name, context] of Object.entries(contexts)) {
    merged[name] = { ...context, ...event.contexts?.[name] };
  }
  event.contexts = merged;
  return event;
}
