import type { ErrorPolicy } from '@faultline/sampling';
import {
  applyScopeDataToEvent,
  type Client,
  type ErrorEvent,
  type Event,
  type EventHint,
  isAlreadyCaptured,
  mergeScopeData,
  type Scope,
  type ScopeData,
  uuid4,
} from '@sentry/core';
// Scopes through @sentry/node, not @sentry/core: Sentry keys its global state by SDK version, and
// the @sentry/core this package resolves may be another copy than the one @sentry/node pins.
import { getCurrentScope, getGlobalScope, getIsolationScope } from '@sentry/node';

/** Set on the hint of an event the policy kept at capture; `beforeSend` then does not decide again. */
export const ADMITTED = Symbol.for('faultline.admitted');

/** What `beforeSend` needs from a decision made at capture. */
export interface Admitted {
  /** The `sampling` context the policy added when it kept the event after drops, if any. */
  sampling: Record<string, unknown> | undefined;
}

/**
 * Runs the error policy when an error is captured, before the event takes one of the SDK's
 * processing slots (`transportOptions.bufferSize` of them; an event that finds none is dropped
 * as `queue_overflow` whatever its fingerprint). A dropped event costs a stack parse and never
 * enters the SDK; it is counted as `before_send`, as a drop in `beforeSend` would be. The policy
 * sees the event as the exception (or message) and the capturing scopes make it: tags, contexts,
 * user, level and fingerprint are there; what event processors add later (request data, source
 * lines) is not. Events it cannot build at capture (another SDK's client, a throwing builder) are
 * left to `beforeSend`. Returns a function that puts the client's methods back.
 */
export function admitErrorsEarly(client: Client, policy: ErrorPolicy): () => void {
  const { captureException, captureMessage, captureEvent } = client;

  /**
   * The policy's verdict on a captured event: 'drop', or the hint to capture it with (marked
   * admitted), or undefined to leave it to beforeSend.
   */
  function admit(
    event: Event | undefined,
    hint: EventHint & { event_id: string },
    scope: Scope | undefined,
  ): EventHint | 'drop' | undefined {
    try {
      if (!event || event.type !== undefined) return undefined;
      const scratch: Event = { ...event, event_id: hint.event_id };
      applyScopeDataToEvent(scratch, scopeDataFor(scope, hint));
      delete scratch.sdkProcessingMetadata;
      // The policy writes its sampling context into the event's contexts: a copy, not the caller's.
      if (scratch.contexts) scratch.contexts = { ...scratch.contexts };
      const before = scratch.contexts?.sampling;
      const kept = policy(scratch as ErrorEvent, hint);
      if (kept === null) {
        client.recordDroppedEvent('before_send', 'error');
        return 'drop';
      }
      const sampling = kept.contexts?.sampling !== before ? kept.contexts?.sampling : undefined;
      (hint as unknown as Record<symbol, Admitted>)[ADMITTED] = { sampling };
      return hint;
    } catch {
      // Never in the app's way: the event goes the SDK's usual path and beforeSend decides.
      return undefined;
    }
  }

  client.captureException = (exception, hint, scope) => {
    if (isAlreadyCaptured(exception)) return captureException.call(client, exception, hint, scope);
    const withId = withEventId(hint);
    const event = buildWith(() => client.eventFromException(exception, withId));
    const verdict = admit(event, withId, scope);
    if (verdict === 'drop') return withId.event_id;
    // A kept event goes on as the event just built: captureException would parse the stack again.
    // The SDK's captureEvent makes the same checks for it (already captured, request session).
    if (verdict && event)
      return captureEvent.call(client, event, { originalException: exception, ...verdict }, scope);
    return captureException.call(client, exception, verdict ?? hint, scope);
  };
  client.captureMessage = (message, level, hint, scope) => {
    const withId = withEventId(hint);
    const verdict = admit(
      buildWith(() => client.eventFromMessage(message, level, withId)),
      withId,
      scope,
    );
    if (verdict === 'drop') return withId.event_id;
    return captureMessage.call(client, message, level, verdict ?? hint, scope);
  };
  client.captureEvent = (event, hint, scope) => {
    const withId = withEventId(hint, event.event_id);
    const verdict = admit(event, withId, scope);
    if (verdict === 'drop') return withId.event_id;
    return captureEvent.call(client, event, verdict ?? hint, scope);
  };
  return () => {
    client.captureException = captureException;
    client.captureMessage = captureMessage;
    client.captureEvent = captureEvent;
  };
}

function withEventId(hint: EventHint | undefined, eventId?: string): EventHint & { event_id: string } {
  return { ...hint, event_id: hint?.event_id ?? eventId ?? uuid4() };
}

/**
 * The event a client's builder makes, read synchronously (Node's clients build events at once,
 * in a resolved promise of their own), or undefined if it throws or is not ready.
 */
function buildWith(build: () => PromiseLike<Event>): Event | undefined {
  let value: Event | undefined;
  try {
    void build().then((resolvedValue) => {
      value = resolvedValue;
    });
  } catch {
    // Left to the SDK's own path, where beforeSend decides.
  }
  return value;
}

/** The scopes' data as the SDK will apply it, less breadcrumbs (the policy does not need them). */
function scopeDataFor(scope: Scope | undefined, hint: EventHint): ScopeData {
  let current = scope ?? getCurrentScope();
  if (hint.captureContext) {
    // e.g. `{ level: 'fatal' }` from the uncaught-exception handler.
    current = current.clone();
    current.update(hint.captureContext as Parameters<Scope['update']>[0]);
  }
  const data = getGlobalScope().getScopeData();
  mergeScopeData(data, getIsolationScope().getScopeData());
  mergeScopeData(data, current.getScopeData());
  data.breadcrumbs = [];
  return data;
}
