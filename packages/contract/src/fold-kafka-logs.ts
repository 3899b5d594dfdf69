import type { Logger } from './logger.js';
import { isShutSocketLog } from './track-sockets.js';

/** KafkaJS's `logCreator`, structurally (the contract does not depend on KafkaJS). */
export type KafkaLogCreator = (
  level: number,
) => (entry: { namespace: string; level: number; log: { message: string; error?: unknown } }) => void;

/** KafkaJS's `logLevel.WARN`. */
const KAFKAJS_WARN = 2;

/**
 * KafkaJS logs every retry of every request, at error level, with stacks: during a broker outage
 * that is hundreds of lines a minute for one condition. This folds them: the first line of a
 * condition (namespace plus message, digits ignored) is logged as a warning, repeats within
 * `windowMs` are counted, and the count is logged when the condition shows up again later.
 * KafkaJS's info and debug lines, and the protocol errors it retries itself, go to debug.
 */
export function foldKafkaLogs(logger: Logger, windowMs = 60_000): KafkaLogCreator {
  const seen = new Map<string, { since: number; repeats: number }>();
  return () =>
    ({ namespace, level, log }) => {
      const message = `kafkajs ${namespace}: ${log.message}`;
      // Protocol errors KafkaJS retries by itself (a coordinator loading, a leader moving): noise
      // while it recovers; if it cannot, the consumer crashes and the forwarder logs that.
      const retried = namespace === 'Connection' && String(log.message).startsWith('Response ');
      // A refused login is logged by KafkaJS twice (authenticator, broker pool) and then by the
      // step that needed the connection: that one line, which names the mechanism, is enough.
      const refused = /authentication failed/i.test(String(log.message));
      // A connection a stop gave up on and shut: the service says so once, not once per broker.
      if (level > KAFKAJS_WARN || retried || refused || isShutSocketLog(log.message)) {
        logger.debug(message);
        return;
      }
      const key = `${namespace}:${String(log.message).replace(/\d+/g, '#')}`;
      const now = Date.now();
      const entry = seen.get(key);
      if (entry && now - entry.since < windowMs) {
        entry.repeats++;
        return;
      }
      const fields: Record<string, unknown> = {};
      if (entry && entry.repeats > 0) fields.repeatedSinceLastLine = entry.repeats;
      if (typeof log.error === 'string') fields.error = log.error;
      seen.set(key, { since: now, repeats: 0 });
      if (seen.size > 1000) seen.clear(); // bounded: distinct conditions are few
      logger.warn(message, fields);
    };
}
