import { uuid4 } from '@sentry/core';
import * as Sentry from '@sentry/node';
import type { Message, Producer, ProducerBatch, ProducerRecord, RecordMetadata } from 'kafkajs';
import { cleanHeaders, FAULTLINE_HEADERS } from './headers.js';
import { quietKafkaJsTimers } from './kafkajs-negative-timeout.js';

export interface InstrumentProducerOptions {
  /** Record message keys on spans (`messaging.kafka.message.key`). Keys can carry personal data. @default false */
  recordKeys?: boolean;
  /**
   * Also send a W3C `traceparent` header, so consumers instrumented with OpenTelemetry (in any
   * language) continue the trace. @default the client's `propagateTraceparent` option (off)
   */
  propagateTraceparent?: boolean;
}

/**
 * Instruments a KafkaJS producer: each message sent through `send` or `sendBatch` gets a
 * `queue.publish` span (message id, body size, destination, partition) and carries `sentry-trace`
 * and `baggage` headers (and `traceparent` when asked) so the consumer continues the trace. The caller's message objects are
 * not modified: the producer sends copies, with undefined and null header values removed (KafkaJS
 * would throw on them). Returns the same producer.
 */
export function instrumentProducer<P extends Producer>(
  producer: P,
  options: InstrumentProducerOptions = {},
): P {
  quietKafkaJsTimers();
  const marker = producer as P & { __faultlineInstrumented?: boolean };
  if (marker.__faultlineInstrumented) return producer;
  marker.__faultlineInstrumented = true;
  const send = producer.send.bind(producer);
  const sendBatch = producer.sendBatch.bind(producer);

  function traced(topic: string, messages: Message[]): { messages: Message[]; spans: Sentry.Span[] } {
    const spans: Sentry.Span[] = [];
    const copies = messages.map((message) => {
      const id = (message.headers?.[FAULTLINE_HEADERS.messageId] ?? uuid4()).toString();
      const size =
        message.value === null || message.value === undefined ? 0 : Buffer.byteLength(message.value);
      const span = Sentry.startInactiveSpan({
        name: `send ${topic}`,
        op: 'queue.publish',
        attributes: {
          'sentry.origin': 'auto.queue.faultline.kafkajs',
          'messaging.system': 'kafka',
          'messaging.destination.name': topic,
          'messaging.operation.type': 'send',
          'messaging.operation.name': 'send',
          'messaging.message.id': id,
          'messaging.message.body.size': size,
          ...(message.partition !== undefined
            ? { 'messaging.destination.partition.id': String(message.partition) }
            : {}),
          ...(options.recordKeys && message.key
            ? { 'messaging.kafka.message.key': message.key.toString() }
            : {}),
        },
      });
      spans.push(span);
      const propagateTraceparent =
        options.propagateTraceparent ?? Sentry.getClient()?.getOptions().propagateTraceparent === true;
      const trace = Sentry.getTraceData({ span, propagateTraceparent });
      const headers = cleanHeaders(message.headers);
      headers[FAULTLINE_HEADERS.messageId] = id;
      if (trace['sentry-trace']) headers['sentry-trace'] = trace['sentry-trace'];
      if (trace.baggage) headers.baggage = trace.baggage;
      if (propagateTraceparent && trace.traceparent) headers.traceparent = trace.traceparent;
      return { ...message, headers };
    });
    return { messages: copies, spans };
  }

  function finish(spans: Sentry.Span[], result: Promise<RecordMetadata[]>): Promise<RecordMetadata[]> {
    return result.then(
      (metadata) => {
        for (const span of spans) {
          span.setStatus({ code: 1 });
          span.end();
        }
        return metadata;
      },
      (error: unknown) => {
        for (const span of spans) {
          span.setStatus({ code: 2, message: 'internal_error' });
          span.setAttribute('error.type', error instanceof Error ? error.name : 'Error');
          span.end();
        }
        throw error;
      },
    );
  }

  producer.send = (record: ProducerRecord) => {
    const { messages, spans } = traced(record.topic, record.messages);
    return finish(spans, send({ ...record, messages }));
  };
  producer.sendBatch = (batch: ProducerBatch) => {
    const spans: Sentry.Span[] = [];
    const topicMessages = (batch.topicMessages ?? []).map((entry) => {
      const result = traced(entry.topic, entry.messages);
      spans.push(...result.spans);
      return { ...entry, messages: result.messages };
    });
    return finish(spans, sendBatch({ ...batch, topicMessages }));
  };
  return producer;
}
