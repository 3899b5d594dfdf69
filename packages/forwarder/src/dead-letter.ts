import { DEAD_LETTER_HEADERS, originHeaders } from '@faultline/contract';
import { CompressionTypes, type KafkaMessage, type Producer } from 'kafkajs';
import type { Logger } from './logger.js';
import type { ForwarderMetrics } from './metrics.js';

/** Why an envelope went to the dead-letter topic. */
export type DeadLetterReason =
  | 'malformed'
  | 'too_large'
  | 'no_dsn'
  | 'unknown_schema'
  | 'dsn_not_allowed'
  | 'rejected'
  /** Handling it threw (a bug, or input no check foresaw): kept for a person to look at. */
  | 'internal';

export interface MessageOrigin {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

export type DeadLetterer = (
  origin: MessageOrigin,
  reason: DeadLetterReason,
  detail: string,
  status?: number,
) => Promise<void>;

/** What a stub keeps of a value the dead-letter topic refused: enough to recognise it. */
export const STUB_BYTES = 4096;

/**
 * Publishes an envelope that can never be delivered to the dead-letter topic, unchanged, with
 * the shared dead-letter headers (reason, detail, ingest status, where it came from), compressed
 * as the envelope topic may have taken it. Rejects when Kafka does not acknowledge: the caller
 * retries and the offset is not committed meanwhile. When the broker refuses the message itself
 * (too large, invalid), a retry cannot help: a stub goes instead (the headers, the reason, the
 * first 4 KiB), and if even that is refused the drop is counted and logged, so the offset finishes.
 */
export function createDeadLetterer(deps: {
  producer: Producer;
  topic: string;
  groupId: string;
  figures: ForwarderMetrics;
  logger: Logger;
}): DeadLetterer {
  const send = (key: KafkaMessage['key'], value: Buffer | null, headers: Record<string, string | Buffer>) =>
    deps.producer.send({
      topic: deps.topic,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: [{ key, value, headers }],
    });

  return async (origin, reason, detail, status) => {
    const headers: Record<string, string | Buffer> = {};
    for (const [name, value] of Object.entries(origin.message.headers ?? {})) {
      if (value === undefined || value === null) continue;
      headers[name] = Array.isArray(value) ? value.map(String).join(',') : value;
    }
    Object.assign(
      headers,
      originHeaders({
        topic: origin.topic,
        partition: origin.partition,
        offset: origin.message.offset,
        timestamp: origin.message.timestamp,
        group: deps.groupId,
      }),
      {
        [DEAD_LETTER_HEADERS.reason]: reason,
        [DEAD_LETTER_HEADERS.errorMessage]: detail.slice(0, 500),
        [DEAD_LETTER_HEADERS.status]: status === undefined ? '' : String(status),
      },
    );
    const where = { reason, partition: origin.partition, offset: origin.message.offset };
    const value = origin.message.value;
    try {
      await send(origin.message.key, value, headers);
    } catch (error) {
      if (!refusedByBroker(error)) throw error;
      const refusal = (error as Error).message;
      const stub = value ? value.subarray(0, STUB_BYTES) : null;
      try {
        await send(origin.message.key, stub, {
          ...headers,
          [DEAD_LETTER_HEADERS.truncatedFrom]: String(value?.length ?? 0),
        });
      } catch (stubError) {
        if (!refusedByBroker(stubError)) throw stubError;
        deps.figures.dropped.dead_letter_refused = (deps.figures.dropped.dead_letter_refused ?? 0) + 1;
        deps.logger.error('the dead-letter topic refused this message and its stub; dropped', {
          ...where,
          detail,
          error: (stubError as Error).message,
        });
        return;
      }
      deps.logger.warn('dead-lettered as a stub: the topic refused the message itself', {
        ...where,
        detail,
        bytes: value?.length ?? 0,
        error: refusal,
      });
    }
    deps.figures.deadLettered[reason] = (deps.figures.deadLettered[reason] ?? 0) + 1;
    deps.logger.warn('dead-lettered', { ...where, detail, status });
  };
}

/**
 * Whether Kafka refused the message for what it is (too large, invalid, not authorized) rather
 * than for where the cluster is (a leader moving, a broker away): KafkaJS marks each protocol
 * error retriable or not, and wraps it (`cause`) once its own retries give up.
 */
export function refusedByBroker(error: unknown): boolean {
  for (
    let e = error as { cause?: unknown; type?: unknown; retriable?: unknown } | undefined, depth = 0;
    e && depth < 8;
    depth++
  ) {
    if (typeof e.type === 'string' && e.retriable === false) return true;
    e = e.cause as typeof e;
  }
  return false;
}
