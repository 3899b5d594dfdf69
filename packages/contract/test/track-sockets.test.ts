import { createServer, type Server, type Socket } from 'node:net';
import { waitUntil } from '@faultline/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { trackSockets } from '../src/track-sockets.js';

// A broker that accepts connections and never answers on them, as a frozen broker (SIGSTOP, a
// long GC pause, a host gone silent) does: a real broker cannot be held in that state from a
// unit test. KafkaJS's own client talks to it through the tracker's factory.
let server: Server | undefined;
const held: Socket[] = [];
afterEach(async () => {
  for (const socket of held.splice(0)) socket.destroy();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function silentBroker(): Promise<string> {
  // Half-open allowed: a client's end leaves its socket waiting for this side's, which never comes.
  server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => undefined);
    held.push(socket);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return `127.0.0.1:${address.port}`;
}

function client(broker: string, factory: ReturnType<typeof trackSockets>['factory']): Kafka {
  return new Kafka({
    brokers: [broker],
    socketFactory: factory,
    // What would hold the connection without shut(): the request KafkaJS sent first (ApiVersions)
    // is never answered, and KafkaJS waits out this timeout.
    requestTimeout: 30_000,
    connectionTimeout: 3000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
}

describe('trackSockets', () => {
  it('shut() fails a connection waiting on a broker that never answers, at once, and closes its socket', async () => {
    const broker = await silentBroker();
    const sockets = trackSockets();
    const producer = client(broker, sockets.factory).producer();
    const connecting = producer.connect().then(
      () => 'connected',
      (error: Error) => error,
    );
    await waitUntil(() => (held.length === 1 && sockets.open() === 1) || undefined, {
      what: 'the connection accepted',
      timeoutMs: 5000,
    });

    // One connection still in use: what the service's stop reports it gave up on, in one line.
    const warnings: string[] = [];
    expect(sockets.shut({ warn: (msg) => warnings.push(msg) })).toBe(1);
    expect(warnings).toEqual([
      "stopped without the brokers' answer: 1 Kafka connection(s) closed unanswered",
    ]);
    // Well before the 30 s KafkaJS would otherwise wait for its first answer.
    const outcome = await Promise.race([
      connecting,
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5000)),
    ]);
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toMatch(/the Kafka client is shut/);
    await waitUntil(() => sockets.open() === 0 || undefined, { what: 'the socket closed', timeoutMs: 5000 });
  }, 15_000);

  it('destroys each socket made after shut(): a client that tries again after the close fails at once', async () => {
    const broker = await silentBroker();
    const sockets = trackSockets();
    sockets.shut();
    const producer = client(broker, sockets.factory).producer();
    const outcome = await Promise.race([
      producer.connect().then(
        () => 'connected',
        (error: Error) => error,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5000)),
    ]);
    expect(outcome).toBeInstanceOf(Error);
    await waitUntil(() => sockets.open() === 0 || undefined, { what: 'no socket open', timeoutMs: 5000 });
  }, 15_000);

  it('counts the sockets open until they close', async () => {
    const broker = await silentBroker();
    const sockets = trackSockets();
    const producer = client(broker, sockets.factory).producer();
    const connecting = producer.connect().catch(() => undefined);
    await waitUntil(() => sockets.open() === 1 || undefined, { what: 'one socket open', timeoutMs: 5000 });
    for (const socket of held) socket.destroy();
    await connecting;
    await waitUntil(() => sockets.open() === 0 || undefined, { what: 'none open', timeoutMs: 5000 });
  }, 15_000);

  it('closes a socket KafkaJS ended itself quietly, without an error, and does not count it as given up on', async () => {
    const broker = await silentBroker();
    const [host, port] = broker.split(':');
    const sockets = trackSockets();
    const errors: Error[] = [];
    // As KafkaJS's disconnect leaves a socket: ended on this side, the peer's end not yet heard.
    // KafkaJS passes `ssl` undefined for a plain connection.
    const socket = sockets.factory({
      host: host ?? '',
      port: Number(port),
      ssl: undefined as never,
      onConnect: () => socket.end(),
    });
    socket.on('error', (error) => errors.push(error));
    await waitUntil(() => (socket.writableEnded && held.length === 1) || undefined, {
      what: 'the socket ended by its client',
      timeoutMs: 5000,
    });
    expect(sockets.open()).toBe(1);

    const warnings: string[] = [];
    expect(sockets.shut({ warn: (msg) => warnings.push(msg) })).toBe(0);
    expect(warnings).toEqual([]);
    await waitUntil(() => sockets.open() === 0 || undefined, { what: 'the socket closed', timeoutMs: 5000 });
    expect(errors).toEqual([]);
  }, 15_000);
});
