import { type Client, type Event, type EventHint, resolvedSyncPromise } from '@sentry/core';
import { ServerRuntimeClient } from '@sentry/core/server';
import * as Sentry from '@sentry/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExceptionEvent, unwrap } from '../src/build-exception-event.js';

// The real NodeClient: the direct build must give the event its own builder gives.
let client: Client;
beforeAll(() => {
  Sentry.init({ dsn: 'http://public@127.0.0.1:9/1', defaultIntegrations: false });
  client = Sentry.getClient() as Client;
});
afterAll(() => Sentry.close(100));

function viaClient(exception: unknown, hint: EventHint): Event | undefined {
  return unwrap(client.eventFromException(exception, hint));
}

class CodedError extends Error {
  code = 'E_CODED';
}

describe('buildExceptionEvent', () => {
  it("takes the direct path with Node's client (the same copy of @sentry/core)", () => {
    expect(client.eventFromException).toBe(ServerRuntimeClient.prototype.eventFromException);
  });

  const inputs: [string, () => unknown][] = [
    ['an Error', () => new Error('record 42 failed')],
    ['an Error with a cause', () => new Error('outer', { cause: new TypeError('inner') })],
    ['a subclass with own fields', () => new CodedError('coded')],
    ['a plain object', () => ({ reason: 'nope', status: 503 })],
    ['a string', () => 'just text'],
    ['undefined', () => undefined],
  ];
  for (const [name, make] of inputs) {
    it(`builds for ${name} the event the client's own builder builds`, () => {
      const exception = make();
      const syntheticException = new Error('Sentry syntheticException');
      const hint = () => ({
        event_id: 'a'.repeat(32),
        syntheticException,
        mechanism: { type: 'test', handled: false },
      });
      const direct = buildExceptionEvent(client, exception, hint());
      expect(direct).toBeDefined();
      expect(direct).toEqual(viaClient(exception, hint()));
      expect(direct?.level).toBe('error');
    });
  }

  it("calls a client's own builder when it is not Sentry's", () => {
    const own = Object.create(client) as Client;
    own.eventFromException = (exception) =>
      Promise.resolve({ message: `own: ${String(exception)}` }) as unknown as ReturnType<
        Client['eventFromException']
      >;
    // A native promise resolves only in a microtask: not ready at once, so no event.
    expect(buildExceptionEvent(own, 'x', {})).toBeUndefined();
    // What Node's client does: a promise already resolved, of Sentry's own kind.
    own.eventFromException = (exception) => resolvedSyncPromise({ message: `own: ${String(exception)}` });
    expect(buildExceptionEvent(own, 'x', {})).toEqual({ message: 'own: x' });
  });

  it('gives undefined, not an exception, when the builder throws', () => {
    const broken = Object.create(client) as Client;
    broken.eventFromException = () => {
      throw new Error('builder broke');
    };
    expect(buildExceptionEvent(broken, new Error('e'), {})).toBeUndefined();
  });
});
