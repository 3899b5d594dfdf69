import type { SpanAttributes } from '@sentry/core';
import type { KafkaMessage } from 'kafkajs';
import { FAULTLINE_HEADERS, headerText } from './headers.js';

/** The attempt a message is on: 0 for a first delivery, n after n retries through retry topics. */
export function attemptOf(message: KafkaMessage): number {
  const attempt = Number(headerText(message.headers, FAULTLINE_HEADERS.attempt) ?? '0');
  return Number.isFinite(attempt) ? attempt : 0;
}

/**
 * The attributes of a `queue.process` span, as Sentry's Queues page reads them: message id (the
 * producer's, else topic-partition-offset), body size, receive latency in ms from the message
 * timestamp, retry count, destination, partition, offset, consumer group; the key only if allowed.
 */
export function processAttributes(
  topic: string,
  partition: number,
  message: KafkaMessage,
  groupId: string,
  recordKeys: boolean,
): SpanAttributes {
  const attributes: SpanAttributes = {
    // The op as an attribute rather than startSpan's `op` option, which costs the SDK a copy of
    // every attribute per span.
    'sentry.op': 'queue.process',
    'sentry.origin': 'auto.queue.faultline.kafkajs',
    'messaging.system': 'kafka',
    'messaging.destination.name': topic,
    'messaging.operation.type': 'process',
    'messaging.message.id':
      headerText(message.headers, FAULTLINE_HEADERS.messageId) ?? `${topic}-${partition}-${message.offset}`,
    'messaging.message.body.size': message.value?.length ?? 0,
    'messaging.message.receive.latency': Math.max(0, Date.now() - Number(message.timestamp)),
    'messaging.message.retry.count': attemptOf(message),
    'messaging.destination.partition.id': String(partition),
    'messaging.kafka.offset': Number(message.offset),
    'messaging.consumer.group.name': groupId,
  };
  if (recordKeys && message.key) attributes['messaging.kafka.message.key'] = message.key.toString();
  return attributes;
}
