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
import {
  getCurrentScope,
  getGlobalScope,
  getIsolationScope,
  withIsolationScope,
  withScope,
} from '@sentry/node';
import { buildExceptionEvent, unwrap } from './build-exception-event.js';
import { createKeptEventQueue } from './defer-kept-events.js';
import { shareScopeCopies } from './share-scope-copies.js';

/** Set on the hint of an event the policy kept at capture; `beforeSend` then does not decide again. */
export const ADMITTED = Symbol.for('faultline.admitted');

/** What `beforeSend` needs from a decision made at capture. */
export interface Admitted {
  /** The `sampling` context the policy added when it kept the event after drops, if any. */
  sampling: Record<string, unknown> | undefined;
}

export interface AdmitOptions {
  /** Kept events that may wait for a later turn of the event loop (see below). @default 5000 */
  maxWaiting?: number;
  /**
   * Whether `process.exit()` processes the waiting events: worth it only when something keeps
   * them then (the Kafka transport's salvage); otherwise it only delays the exit. @default false
   */
  processAtExit?: boolean;
}

/** A kept exception waiting for its turn, with copies of the scopes it was captured in. */
interface WaitingCapture {
  event: Event;
  hint: EventHint;
  scope: Scope;
  isolationScope: Scope;
}

/**
 * Runs the error policy when an error is captured, before the event takes one of the SDK's
 * processing slots (`transportOptions.bufferSize` of them; an event that finds none is dropped
 * as `queue_overflow` whatever its fingerprint). A dropped event costs a stack parse and never
 * enters the SDK; it is counted as `before_send`, as a drop in `beforeSend` would be. The policy
 * sees the event as the exception (or message) and the capturing scopes make it: tags, contexts,
 * user, level and fingerprint are there; what event processors add later (request data, source
 * lines) is not. Events it cannot build at capture (another SDK's client, a throwing builder) are
 * left to `beforeSend`.
 *
 * A burst's kept exceptions are not all processed in the tick that captured them (see
 * `createKeptEventQueue`): past the first 16 of a tick they wait, at most `maxWaiting` (more are
 * counted as `queue_overflow`), and are processed 32 per turn of the event loop. Each waits with
 * copies of its scopes and its timestamp, so it is the event it would have been at capture:
 * tags, breadcrumbs, user, request data, trace and span as they were then. `lastEventId()` and a
 * request's session are updated at capture. A flush and a close process the waiting events
 * first, and so does `process.exit()` with `processAtExit` (for the Kafka transport's salvage
 * to see them). Returns a function
 * that processes those still waiting and puts the client's methods back.
 */
export function admitErrorsEarly(
  client: Client,
  policy: ErrorPolicy,
  options: AdmitOptions = {},
): () => void {
  const { captureException, captureMessage, captureEvent } = client;
  const waiting = createKeptEventQueue<WaitingCapture>({
    max: options.maxWaiting ?? 5000,
    // In the scopes' copies, and in the OpenTelemetry context the current scope was captured in
    // (Sentry keeps it on the scope): the active span is the one at capture.
    process: ({ event, hint, scope, isolationScope }) =>
      withScope(scope, () =>
        withIsolationScope(isolationScope, () => captureEvent.call(client, event, hint, scope)),
      ),
  });
  // A burst's waiting events share their scopes' copies while the scopes do not change.
  const currentScopes = shareScopeCopies();
  const isolationScopes = shareScopeCopies();
  /** Whether the event admit() last kept is fatal, its capture context and scopes applied. */
  let keptFatal = false;
  /** Exceptions waiting: captured twice meanwhile, they are sent once, as the SDK would. */
  const waitingExceptions = new WeakSet<object>();
  const offFlush = client.on('flush', () => waiting.drain());
  const onExit = () => waiting.drain();
  // Ahead of the Kafka transport's own exit hook, which spools what is pending.
  if (options.processAtExit) process.prependListener('exit', onExit);

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
        // A sampled-out error still marks the request's session errored, as the SDK does.
        markRequestSession(hint);
        return 'drop';
      }
      const sampling = kept.contexts?.sampling !== before ? kept.contexts?.sampling : undefined;
      (hint as unknown as Record<symbol, Admitted>)[ADMITTED] = { sampling };
      keptFatal = scratch.level === 'fatal';
      return hint;
    } catch {
      // Never in the app's way: the event goes the SDK's usual path and beforeSend decides.
      return undefined;
    }
  }

  client.captureException = (exception, hint, scope) => {
    if (isAlreadyCaptured(exception)) return captureException.call(client, exception, hint, scope);
    const withId = withEventId(hint);
    if (isObject(exception) && waitingExceptions.has(exception)) return withId.event_id;
    const event = buildExceptionEvent(client, exception, withId);
    const verdict = admit(event, withId, scope);
    if (verdict === 'drop') return withId.event_id;
    // A kept event goes on as the event just built: captureException would parse the stack again.
    // The SDK's captureEvent makes the same checks for it (already captured, request session).
    if (verdict && event) {
      const keptHint: EventHint = { originalException: exception, ...verdict };
      // A fatal error (the uncaught-exception handler passes its level as a capture context)
      // goes at once: the process is about to end.
      if (!keptFatal && waiting.shouldDefer()) {
        wait(exception, event, keptHint, scope);
        return withId.event_id;
      }
      return captureEvent.call(client, event, keptHint, scope);
    }
    return captureException.call(client, exception, verdict ?? hint, scope);
  };

  /** Puts a kept exception in the queue, as it is now, or counts it lost if the queue is full. */
  function wait(exception: unknown, event: Event, hint: EventHint, scope: Scope | undefined): void {
    try {
      const isolation = getIsolationScope();
      event.timestamp ??= Date.now() / 1000;
      const queued = waiting.defer({
        event,
        hint,
        scope: currentScopes.copyOf(scope ?? getCurrentScope()),
        isolationScope: isolationScopes.copyOf(isolation),
      });
      if (!queued) {
        client.recordDroppedEvent('queue_overflow', 'error');
        return;
      }
      if (isObject(exception)) waitingExceptions.add(exception);
      // What the SDK sets when it captures: read by Sentry.lastEventId() and release health.
      isolation.setLastEventId(hint.event_id);
      markRequestSession(hint);
    } catch {
      // Never in the app's way: the event goes on at once, as before.
      captureEvent.call(client, event, hint, scope);
    }
  }
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
    offFlush();
    process.removeListener('exit', onExit);
    waiting.stop();
    client.captureException = captureException;
    client.captureMessage = captureMessage;
    client.captureEvent = captureEvent;
  };
}

function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/**
 * The SDK's own step at capture (not exported by it): an error marks the request's session, kept
 * on the isolation scope by the HTTP integration, errored, or crashed if unhandled.
 */
function markRequestSession(hint: EventHint): void {
  const session = getIsolationScope().getScopeData().sdkProcessingMetadata.requestSession as
    | { status?: string }
    | undefined;
  if (!session) return;
  const handled = hint.mechanism?.handled ?? true;
  if (handled && session.status !== 'crashed') session.status = 'errored';
  else if (!handled) session.status = 'crashed';
}

function withEventId(hint: EventHint | undefined, eventId?: string): EventHint & { event_id: string } {
  return { ...hint, event_id: hint?.event_id ?? eventId ?? uuid4() };
}

/** The event a client's builder makes, or undefined if it throws (beforeSend then decides). */
function buildWith(build: () => PromiseLike<Event>): Event | undefined {
  try {
    return unwrap(build());
  } catch {
    return undefined;
  }
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
