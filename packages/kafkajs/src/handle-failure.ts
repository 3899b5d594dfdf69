import { deadLetterTopicFor, originHeaders } from '@faultline/contract';
import * as Sentry from '@sentry/node';
import type { KafkaMessage, Producer } from 'kafkajs';
import { cleanHeaders, FAULTLINE_HEADERS, headerText } from './headers.js';

/** What happens when a handler throws. */
export type FailurePolicy =
  | {
      /** Rethrow: KafkaJS retries the message itself (and, for TypeErrors, stops the consumer). */
      type: 'rethrow';
    }
  | {
      /**
       * Publish the message again (to `retryTopic`, default: its own topic) with an attempt count,
       * up to `maxAttempts`, then to `deadLetterTopic`. The failing offset is committed only once
       * the retry or dead letter is published, so nothing is lost and nothing loops forever.
       */
      type: 'retry-topics';
      producer: Producer;
      /** Attempts in all, the first delivery included. @default 3 */
      maxAttempts?: number;
      /** @default the message's own topic */
      retryTopic?: string;
      /** @default `<topic>.dead-letter` */
      deadLetterTopic?: string;
    };

/** A failed message, as the failure handler needs it. */
export interface FailedMessage {
  topic: string;
  partition: number;
  message: KafkaMessage;
  error: unknown;
  /** Attempts before this one (0 on first delivery). */
  attempt: number;
}

/** Largest number of failing offsets remembered to capture each once under `rethrow`. */
const CAPTURED_OFFSETS_LIMIT = 1000;
const ERROR_MESSAGE_HEADER_LIMIT = 1000;

/**
 * Returns the handler for a failed message: it captures the error once with a `kafka` context,
 * then rethrows (KafkaJS redelivers) or publishes the message to the retry topic, or after the
 * last attempt to the dead-letter topic, with headers that say where it came from and why it
 * failed. A publish failure reaches KafkaJS, so the offset is not committed.
 */
export function createFailureHandler(
  policy: FailurePolicy,
  groupId: string,
  recordKeys: boolean,
): (failed: FailedMessage) => Promise<void> {
  const capturedOffsets = new Set<string>();

  return async ({ topic, partition, message, error, attempt }) => {
    const original = {
      topic: headerText(message.headers, FAULTLINE_HEADERS.originalTopic) ?? topic,
      partition: headerText(message.headers, FAULTLINE_HEADERS.originalPartition) ?? String(partition),
      offset: headerText(message.headers, FAULTLINE_HEADERS.originalOffset) ?? message.offset,
      timestamp: headerText(message.headers, FAULTLINE_HEADERS.originalTimestamp) ?? message.timestamp,
    };
    const capture = () =>
      Sentry.withScope((scope) => {
        scope.setContext('kafka', {
          topic,
          partition,
          offset: message.offset,
          group: groupId,
          attempt: attempt + 1,
          // Where the message first arrived, when this is a retry of it.
          original_topic: original.topic,
          original_partition: Number(original.partition),
          original_offset: original.offset,
          header_names: Object.keys(message.headers ?? {}),
          ...(recordKeys && message.key ? { key: message.key.toString() } : {}),
        });
        scope.setTags({ 'messaging.destination.name': topic, 'kafka.consumer_group': groupId });
        Sentry.captureException(error, {
          mechanism: { type: 'auto.queue.faultline.kafkajs', handled: false },
        });
      });

    if (policy.type === 'rethrow') {
      // KafkaJS redelivers the message after a rethrow: capture each failing offset once.
      const key = `${topic}/${partition}/${message.offset}`;
      if (!capturedOffsets.has(key)) {
        if (capturedOffsets.size >= CAPTURED_OFFSETS_LIMIT) capturedOffsets.clear();
        capturedOffsets.add(key);
        capture();
      }
      throw error;
    }

    const maxAttempts = policy.maxAttempts ?? 3;
    const failed = attempt + 1;
    const dead = failed >= maxAttempts;
    // One event per failing message: when it is given up on. Earlier attempts show as error
    // spans and breadcrumbs.
    if (dead) capture();
    const target = dead
      ? (policy.deadLetterTopic ?? deadLetterTopicFor(topic))
      : (policy.retryTopic ?? topic);
    const headers = cleanHeaders(message.headers);
    delete headers['sentry-trace'];
    delete headers.baggage;
    delete headers.traceparent;
    Object.assign(headers, originHeaders({ ...original, group: groupId }), {
      [FAULTLINE_HEADERS.attempt]: String(failed),
      [FAULTLINE_HEADERS.errorClass]: error instanceof Error ? error.name : typeof error,
      [FAULTLINE_HEADERS.errorMessage]: (error instanceof Error ? error.message : String(error)).slice(
        0,
        ERROR_MESSAGE_HEADER_LIMIT,
      ),
    });
    // If this publish fails, the error reaches KafkaJS: the offset is not committed.
    await policy.producer.send({
      topic: target,
      messages: [{ key: message.key, value: message.value, headers }],
    });
    Sentry.addBreadcrumb({
      category: 'kafka',
      level: dead ? 'error' : 'warning',
      message: dead
        ? `dead-lettered to ${target} after ${failed} attempts`
        : `retry ${failed + 1} of ${maxAttempts} via ${target}`,
      data: { topic, partition, offset: message.offset },
    });
  };
}
