import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ISocketFactory } from 'kafkajs';

export interface SocketTracker {
  /** The socket factory KafkaJS gets: the given one (or KafkaJS's default), counted. */
  factory: ISocketFactory;
  /** Sockets made and not yet closed. */
  open(): number;
  /**
   * Destroys the sockets still open, and each one KafkaJS makes from now on as soon as it is made:
   * after the transport's close, nothing its client does keeps the process alive.
   */
  shut(): void;
}

/** KafkaJS's own default socket factory, as it is in KafkaJS 2.2 (it is not exported). */
const defaultSocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : netConnect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

/**
 * Keeps the sockets a KafkaJS client opens. Why `shut()`: KafkaJS's `disconnect()` waits for the
 * requests in flight, so against a broker that does not answer (frozen, or a host gone silent)
 * the transport's close gives up waiting; when the broker answers later, or a send it abandoned
 * retries, that connection reopened with KafkaJS's 100 ms request-timeout interval, and the app
 * that had closed did not exit (seen in the broker failover test, and made at will by freezing
 * the broker across a close).
 */
export function trackSockets(factory: ISocketFactory = defaultSocketFactory): SocketTracker {
  const live = new Set<Socket>();
  let shut = false;
  const destroy = (socket: Socket) =>
    // An error, not a plain destroy: KafkaJS then fails the connection at once (its error handler
    // disconnects it, clearing its timers) instead of waiting out its connection timeout. After
    // this turn, once KafkaJS has put its handlers on a socket just made.
    queueMicrotask(() => socket.destroy(new Error('the Kafka transport is closed')));
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
    shut() {
      shut = true;
      for (const socket of live) destroy(socket);
    },
  };
}
