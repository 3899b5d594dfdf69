import type { SpanAttributes } from '@sentry/core';
import * as Sentry from '@sentry/node';
import type {
  Consumer,
  ConsumerRunConfig,
  EachBatchPayload,
  EachMessagePayload,
  KafkaMessage,
} from 'kafkajs';
import { trackBatchLag } from './batch-lag.js';
import { continueTraceOnScope } from './continue-trace-on-scope.js';
import { createFailureHandler, type FailurePolicy } from './handle-failure.js';
import { headerText } from './headers.js';
import { quietKafkaJsTimers } from './kafkajs-negative-timeout.js';
import { recordLifecycle } from './lifecycle-breadcrumbs.js';
import { PRESAMPLED_RATE_ATTRIBUTE, presample } from './presample.js';
import { attemptOf, processAttributes } from './queue-attributes.js';

const OK = { code: 1 } as const;
const INTERNAL_ERROR = { code: 2, message: 'internal_error' } as const;

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
 * receive latency in ms, retry count, destination, partition, offset, group). A message whose
 * span would not be sampled gets no span at all (the decision is Sentry's, made before the span;
 * see `presample`), which is most of the per-message cost at low trace rates. `eachBatch` gets a
 * `queue.receive` span for the batch and a linked `queue.process` span per message. A handler
 * error is captured once with a `kafka` context, then handled by `onFailure`. The lag KafkaJS
 * reports at the end of a batch goes on the next process span of that partition
 * (`messaging.kafka.consumer.lag`). Lifecycle events
 * (crash, rebalancing, group join, stop, connection errors) become breadcrumbs; a crash that will
 * not restart is captured. Works without preload flags, in ESM and CommonJS.
 */
export function instrumentConsumer<C extends Consumer>(consumer: C, options: InstrumentConsumerOptions): C {
  quietKafkaJsTimers();
  const marker = consumer as C & { __faultlineInstrumented?: boolean };
  if (marker.__faultlineInstrumented) return consumer;
  marker.__faultlineInstrumented = true;
  const { groupId } = options;
  const recordKeys = options.recordKeys ?? false;
  const onFailure = createFailureHandler(options.onFailure ?? { type: 'rethrow' }, groupId, recordKeys);
  const run = consumer.run.bind(consumer);
  recordLifecycle(consumer, groupId);
  const batchLag = trackBatchLag(consumer);

  /**
   * Continues the message's trace on its own scope and starts its `queue.process` span, unless
   * Sentry would not sample it. Runs inside the message's own isolation scope.
   */
  function startProcessSpan(
    topic: string,
    partition: number,
    message: KafkaMessage,
  ): Sentry.Span | undefined {
    const client = Sentry.getClient();
    const scope = Sentry.getCurrentScope();
    continueTraceOnScope(
      client,
      scope,
      headerText(message.headers, 'sentry-trace'),
      headerText(message.headers, 'baggage'),
    );
    const name = `process ${topic}`;
    let attributes: SpanAttributes | undefined;
    const attributesOnce = () => {
      attributes ??= processAttributes(topic, partition, message, groupId, recordKeys);
      return attributes;
    };
    const decision = presample(client, scope, name, attributesOnce);
    if (decision && !decision.sampled) return undefined;

    const spanAttributes = attributesOnce();
    if (decision?.rate !== undefined) spanAttributes[PRESAMPLED_RATE_ATTRIBUTE] = decision.rate;
    const lag = batchLag.take(topic, partition);
    if (lag !== undefined) spanAttributes['messaging.kafka.consumer.lag'] = lag;
    const span = Sentry.startInactiveSpan({ name, attributes: spanAttributes });
    // Only the sampler needed it: Sentry records the rate itself (sentry.sample_rate).
    if (decision?.rate !== undefined) span.setAttribute(PRESAMPLED_RATE_ATTRIBUTE, undefined);
    return span;
  }

  /** Runs the user's handler, settles the span, and hands a failure to the failure policy. */
  async function settle(
    payload: EachMessagePayload,
    eachMessage: NonNullable<ConsumerRunConfig['eachMessage']>,
    span: Sentry.Span | undefined,
  ): Promise<void> {
    try {
      await eachMessage(payload);
      span?.setStatus(OK);
    } catch (error) {
      span?.setStatus(INTERNAL_ERROR);
      const { topic, partition, message } = payload;
      await onFailure({ topic, partition, message, error, attempt: attemptOf(message) });
    } finally {
      span?.end();
    }
  }

  function processMessage(
    payload: EachMessagePayload,
    eachMessage: NonNullable<ConsumerRunConfig['eachMessage']>,
  ): Promise<void> {
    let span: Sentry.Span | undefined;
    try {
      span = startProcessSpan(payload.topic, payload.partition, payload.message);
    } catch {
      // Telemetry never stops a message: without its span, the handler still runs.
      span = undefined;
    }
    // The span keeps the message's scopes from its start: what the handler sets with
    // `Sentry.setAttribute` (the isolation scope) reaches it.
    return span
      ? Sentry.withActiveSpan(span, () => settle(payload, eachMessage, span))
      : settle(payload, eachMessage, undefined);
  }

  consumer.run = (config?: ConsumerRunConfig) => {
    if (!config) return run(config);
    const wrapped: ConsumerRunConfig = { ...config };
    const { eachMessage, eachBatch } = config;
    if (eachMessage) {
      wrapped.eachMessage = (payload: EachMessagePayload) => {
        const inScope = () => Sentry.withIsolationScope(() => processMessage(payload, eachMessage));
        // A consumer started inside a span would otherwise parent every message's span to it.
        return Sentry.getActiveSpan() ? Sentry.withActiveSpan(null, inScope) : inScope();
      };
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
                  'messaging.consumer.group.name': groupId,
                  'messaging.kafka.consumer.lag': Number(payload.batch.offsetLag()),
                },
              },
              async (receive) => {
                // Children of an unsampled receive span would not be recorded either.
                if (receive.isRecording()) {
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
                      attributes: processAttributes(
                        payload.batch.topic,
                        payload.batch.partition,
                        message,
                        groupId,
                        recordKeys,
                      ),
                      links,
                    }).end();
                  }
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
