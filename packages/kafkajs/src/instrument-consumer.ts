import type { StartSpanOptions } from '@sentry/core';
import * as Sentry from '@sentry/node';
import type {
  Consumer,
  ConsumerRunConfig,
  EachBatchPayload,
  EachMessagePayload,
  KafkaMessage,
  Producer,
} from 'kafkajs';
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
      maxAttempts?: number;
      retryTopic?: string;
      deadLetterTopic?: string;
    };

export interface InstrumentConsumerOptions {
  /** The consumer's group id, for spans, contexts and dead-letter headers. */
  groupId: string;
  /** On handler failure. @default { type: 'rethrow' } */
  onFailure?: FailurePolicy;
  /** Record message keys on spans and error contexts. Keys can carry personal data. @default false */
  recordKeys?: boolean;
}

/**
 * Instruments a KafkaJS consumer: `run({ eachMessage })` runs each message in its own isolation
 * scope, continuing the producer's trace from its `sentry-trace` / `baggage` headers, inside a
 * `queue.process` span with the attributes Sentry's Queues page reads (message id, body size,
 * receive latency in ms, retry count, destination, partition, offset, group). `eachBatch` gets a
 * `queue.receive` span for the batch and a linked `queue.process` span per message. A handler
 * error is captured once with a `kafka` context, then handled by `onFailure`. Lifecycle events
 * (crash, rebalancing, group join, stop, connection errors) become breadcrumbs; a crash that will
 * not restart is captured. Works without preload flags, in ESM and CommonJS.
 */
export function instrumentConsumer<C extends Consumer>(consumer: C, options: InstrumentConsumerOptions): C {
  const marker = consumer as C & { __faultlineInstrumented?: boolean };
  if (marker.__faultlineInstrumented) return consumer;
  marker.__faultlineInstrumented = true;
  const policy = options.onFailure ?? { type: 'rethrow' };
  const capturedOffsets = new Set<string>();
  const run = consumer.run.bind(consumer);
  listenToLifecycle(consumer, options.groupId);

  const attributesFor = (topic: string, partition: number, message: KafkaMessage) => {
    const attempt = Number(headerText(message.headers, FAULTLINE_HEADERS.attempt) ?? '0');
    return {
      'sentry.origin': 'auto.queue.faultline.kafkajs',
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.message.id':
        headerText(message.headers, FAULTLINE_HEADERS.messageId) ?? `${topic}-${partition}-${message.offset}`,
      'messaging.message.body.size': message.value?.length ?? 0,
      'messaging.message.receive.latency': Math.max(0, Date.now() - Number(message.timestamp)),
      'messaging.message.retry.count': Number.isFinite(attempt) ? attempt : 0,
      'messaging.destination.partition.id': String(partition),
      'messaging.kafka.offset': Number(message.offset),
      'messaging.consumer.group.name': options.groupId,
      ...(options.recordKeys && message.key ? { 'messaging.kafka.message.key': message.key.toString() } : {}),
    };
  };

  async function processMessage(
    topic: string,
    partition: number,
    message: KafkaMessage,
    handler: () => Promise<void>,
    links?: StartSpanOptions['links'],
  ): Promise<void> {
    const attributes = attributesFor(topic, partition, message);
    await Sentry.startSpan(
      { name: `process ${topic}`, op: 'queue.process', attributes, links },
      async (span) => {
        try {
          await handler();
          span.setStatus({ code: 1 });
        } catch (error) {
          span.setStatus({ code: 2, message: 'internal_error' });
          await onHandlerError(topic, partition, message, error, attributes['messaging.message.retry.count']);
        }
      },
    );
  }

  async function onHandlerError(
    topic: string,
    partition: number,
    message: KafkaMessage,
    error: unknown,
    attempt: number,
  ) {
    const original = {
      topic: headerText(message.headers, FAULTLINE_HEADERS.originalTopic) ?? topic,
      partition: headerText(message.headers, FAULTLINE_HEADERS.originalPartition) ?? String(partition),
      offset: headerText(message.headers, FAULTLINE_HEADERS.originalOffset) ?? message.offset,
      timestamp: headerText(message.headers, FAULTLINE_HEADERS.originalTimestamp) ?? message.timestamp,
    };
    const context = {
      topic,
      partition,
      offset: message.offset,
      group: options.groupId,
      attempt: attempt + 1,
      // Where the message first arrived, when this is a retry of it.
      original_topic: original.topic,
      original_partition: Number(original.partition),
      original_offset: original.offset,
      header_names: Object.keys(message.headers ?? {}),
      ...(options.recordKeys && message.key ? { key: message.key.toString() } : {}),
    };
    const capture = () =>
      Sentry.withScope((scope) => {
        scope.setContext('kafka', context);
        scope.setTags({ 'messaging.destination.name': topic, 'kafka.consumer_group': options.groupId });
        Sentry.captureException(error, {
          mechanism: { type: 'auto.queue.faultline.kafkajs', handled: false },
        });
      });
    if (policy.type === 'rethrow') {
      // KafkaJS redelivers the message after a rethrow: capture each failing offset once.
      const key = `${topic}/${partition}/${message.offset}`;
      if (!capturedOffsets.has(key)) {
        if (capturedOffsets.size >= 1000) capturedOffsets.clear();
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
    const target = dead ? (policy.deadLetterTopic ?? `${topic}.dead-letter`) : (policy.retryTopic ?? topic);
    const headers = cleanHeaders(message.headers);
    delete headers['sentry-trace'];
    delete headers.baggage;
    Object.assign(headers, {
      [FAULTLINE_HEADERS.attempt]: String(failed),
      [FAULTLINE_HEADERS.originalTopic]: original.topic,
      [FAULTLINE_HEADERS.originalPartition]: original.partition,
      [FAULTLINE_HEADERS.originalOffset]: original.offset,
      [FAULTLINE_HEADERS.originalTimestamp]: original.timestamp,
      [FAULTLINE_HEADERS.group]: options.groupId,
      [FAULTLINE_HEADERS.errorClass]: error instanceof Error ? error.name : typeof error,
      [FAULTLINE_HEADERS.errorMessage]: (error instanceof Error ? error.message : String(error)).slice(
        0,
        1000,
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
  }

  consumer.run = (config?: ConsumerRunConfig) => {
    if (!config) return run(config);
    const wrapped: ConsumerRunConfig = { ...config };
    const { eachMessage, eachBatch } = config;
    if (eachMessage) {
      wrapped.eachMessage = (payload: EachMessagePayload) =>
        Sentry.withIsolationScope(() =>
          Sentry.continueTrace(
            {
              sentryTrace: headerText(payload.message.headers, 'sentry-trace'),
              baggage: headerText(payload.message.headers, 'baggage'),
            },
            () =>
              processMessage(payload.topic, payload.partition, payload.message, () => eachMessage(payload)),
          ),
        );
    }
    if (eachBatch) {
      wrapped.eachBatch = (payload: EachBatchPayload) =>
        Sentry.withIsolationScope(() =>
          Sentry.startNewTrace(() =>
            Sentry.startSpan(
              {
                name: `receive ${payload.batch.topic}`,
                op: 'queue.receive',
                attributes: {
                  'messaging.system': 'kafka',
                  'messaging.destination.name': payload.batch.topic,
                  'messaging.batch.message_count': payload.batch.messages.length,
                  'messaging.destination.partition.id': String(payload.batch.partition),
                  'messaging.consumer.group.name': options.groupId,
                  'messaging.kafka.consumer.lag': Number(payload.batch.offsetLag()),
                },
              },
              async () => {
                for (const message of payload.batch.messages) {
                  const parent = headerText(message.headers, 'sentry-trace');
                  const [traceId, spanId, sampled] = (parent ?? '').split('-');
                  const links =
                    traceId && spanId
                      ? [{ context: { traceId, spanId, traceFlags: sampled === '1' ? 1 : 0 } }]
                      : undefined;
                  // The user's batch handler runs once; each message gets a process span linked to its producer.
                  Sentry.startInactiveSpan({
                    name: `process ${payload.batch.topic}`,
                    op: 'queue.process',
                    attributes: attributesFor(payload.batch.topic, payload.batch.partition, message),
                    links,
                  }).end();
                }
                await eachBatch(payload);
              },
            ),
          ),
        );
    }
    return run(wrapped);
  };
  return consumer;
}

function listenToLifecycle(consumer: Consumer, groupId: string): void {
  const { events } = consumer;
  const crumb = (message: string, level: Sentry.SeverityLevel, data?: Record<string, unknown>) =>
    Sentry.getIsolationScope().addBreadcrumb({
      category: 'kafka.consumer',
      message,
      level,
      data: { group: groupId, ...data },
    });
  consumer.on(events.GROUP_JOIN, (e) =>
    crumb('joined the group', 'info', {
      memberId: e.payload.memberId,
      isLeader: e.payload.isLeader,
      duration: e.payload.duration,
    }),
  );
  consumer.on(events.REBALANCING, (e) => crumb('rebalancing', 'warning', { memberId: e.payload.memberId }));
  consumer.on(events.STOP, () => crumb('stopped', 'info'));
  consumer.on(events.CONNECT, () => crumb('connected', 'info'));
  consumer.on(events.DISCONNECT, () => crumb('disconnected', 'info'));
  consumer.on(events.REQUEST_TIMEOUT, (e) =>
    crumb('request timed out', 'warning', { broker: e.payload.broker, api: e.payload.apiName }),
  );
  consumer.on(events.CRASH, (e) => {
    const { error, restart } = e.payload;
    crumb(`crashed${restart ? ', restarting' : ', not restarting'}`, 'error', {
      error: error.message,
      restart,
    });
    // A crash KafkaJS will not recover from stops consumption for good: that is an error, not a crumb.
    if (!restart) {
      Sentry.withScope((scope) => {
        scope.setContext('kafka', { group: groupId });
        Sentry.captureException(error, {
          mechanism: { type: 'auto.queue.faultline.kafkajs.crash', handled: false },
        });
      });
    }
  });
}
