import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import type { Logger } from './logger.js';

/** KafkaJS's `ISocketFactory`, by shape: the contract does not depend on KafkaJS. */
export type SocketFactory = (args: {
  host: string;
  port: number;
  ssl: ConnectionOptions;
  onConnect: () => void;
}) => Socket;

export interface SocketTracker {
  /** The socket factory KafkaJS gets: the given one (or KafkaJS's default), counted. */
  factory: SocketFactory;
  /** Sockets made and not yet closed. */
  open(): number;
  /**
   * Destroys the sockets still open, and each one KafkaJS makes from now on as soon as it is made:
   * after the service's stop (or the transport's close), nothing its client does keeps the
   * process alive. Returns how many were still in use (not ended by KafkaJS's own disconnect):
   * connections a stop gave up on. With a `logger`, a service's stop says so on it, in one line.
   */
  shut(logger?: Pick<Logger, 'warn'>): number;
}

/** The error a shut socket is destroyed with: KafkaJS logs it per connection, as a connection error. */
export const SHUT_SOCKET_MESSAGE = 'the Kafka client is shut';

/** Whether a KafkaJS log line is about a socket `shut()` destroyed: the caller logs that once. */
export function isShutSocketLog(message: unknown): boolean {
  return typeof message === 'string' && message.endsWith(SHUT_SOCKET_MESSAGE);
}

/** KafkaJS's own default socket factory, as it is in KafkaJS 2.2 (it is not exported). */
const defaultSocketFactory: SocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : netConnect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

/**
 * Keeps the sockets a KafkaJS client opens. Why `shut()`: KafkaJS's `disconnect()` waits for the
 * requests in flight, so against a broker that does not answer (frozen, or a host gone silent) a
 * stop must give up waiting; its connections stay open, and when the broker answers later, or a
 * request it abandoned retries, they hold the process with KafkaJS's 100 ms request-timeout
 * interval. An app that closed its transport did not exit (seen in the broker failover test, and
 * made at will by freezing the broker across a close); a forwarder's stop() waited for as long as
 * the broker was silent.
 */
export function trackSockets(factory: SocketFactory = defaultSocketFactory): SocketTracker {
  const live = new Set<Socket>();
  let shut = false;
  const destroy = (socket: Socket) =>
    // An error, not a plain destroy: KafkaJS then fails the connection at once (its error handler
    // disconnects it, clearing its timers) instead of waiting out its connection timeout. After
    // this turn, once KafkaJS has put its handlers on a socket just made. A socket KafkaJS has
    // ended itself (its disconnect done, the peer's close not yet heard) has nothing to fail:
    // it goes quietly, without a connection error in the app's log.
    queueMicrotask(() =>
      socket.writableEnded ? socket.destroy() : socket.destroy(new Error(SHUT_SOCKET_MESSAGE)),
    );
  return {
    factory: (args) => {
      const socket = factory(args) as Socket;
      // KafkaJS listens for errors on its sockets; this one is in case a socket errs before it
      // does, or after a factory of the app's own: an unheard socket error would end the app.
      socket.on('error', () => undefined);
      live.add(socket);
      socket.once('close', () => live.delete(socket));
      if (shut) destroy(socket);
      return socket;
    },
    open: () => live.size,
    shut(logger) {
      shut = true;
      let inUse = 0;
      for (const socket of live) {
        if (!socket.writableEnded) inUse++;
        destroy(socket);
      }
      if (inUse > 0)
        logger?.warn(`stopped without the brokers' answer: ${inUse} Kafka connection(s) closed unanswered`);
      return inUse;
    },
  };
}
