import { DEAD_LETTER_HEADERS, originHeaders } from '@faultline/contract';
import type { KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from './logger.js';
import type { ForwarderMetrics } from './metrics.js';

/** Why an envelope went to the dead-letter topic. */
export type DeadLetterReason =
  | 'malformed'
  | 'too_large'
  | 'no_dsn'
  | 'unknown_schema'
  | 'dsn_not_allowed'
  | 'rejected';

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

/**
 * Publishes an envelope that can never be delivered to the dead-letter topic, unchanged, with
 * the shared dead-letter headers (reason, detail, ingest status, where it came from). Rejects
 * when Kafka does not acknowledge: the caller retries and the offset is not committed meanwhile.
 */
export function createDeadLetterer(deps: {
  producer: Producer;
  topic: string;
  groupId: string;
  figures: ForwarderMetrics;
  logger: Logger;
}): DeadLetterer {
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
    await deps.producer.send({
      topic: deps.topic,
      acks: -1,
      messages: [{ key: origin.message.key, value: origin.message.value, headers }],
    });
    deps.figures.deadLettered[reason] = (deps.figures.deadLettered[reason] ?? 0) + 1;
    deps.logger.warn('dead-lettered', {
      reason,
      detail,
      status,
      partition: origin.partition,
      offset: origin.message.offset,
    });
  };
}
