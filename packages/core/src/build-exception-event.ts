import { type Client, type Event, type EventHint, eventFromUnknownInput } from '@sentry/core';
import { ServerRuntimeClient } from '@sentry/core/server';

const sentryEventFromException = ServerRuntimeClient.prototype.eventFromException;

/**
 * The event `client.eventFromException` would build, read at once, or undefined if the builder
 * throws (the SDK's own path then decides).
 *
 * Node's client builds the event synchronously and wraps it in a resolved promise of its own;
 * unwrapping that took a second promise and its handlers, about 1.8 µs an error (8% of a
 * one-tick burst of 10,000). So when the client's builder is Sentry's own (the same copy of
 * `@sentry/core`), this calls what it calls; any other builder (another copy, a subclass that
 * overrides it) is called as it is and unwrapped.
 */
export function buildExceptionEvent(client: Client, exception: unknown, hint: EventHint): Event | undefined {
  try {
    if (client.eventFromException === sentryEventFromException) {
      const event = eventFromUnknownInput(client, client.getOptions().stackParser, exception, hint);
      event.level = 'error';
      return event;
    }
    return unwrap(client.eventFromException(exception, hint));
  } catch {
    return undefined;
  }
}

/**
 * The value of a promise-like already resolved (Node's clients build events in a resolved
 * promise of their own), or undefined if it is not.
 */
export function unwrap<T>(promise: PromiseLike<T>): T | undefined {
  let value: T | undefined;
  void promise.then((resolved) => {
    value = resolved;
  });
  return value;
}
