import { PRESAMPLED_RATE_ATTRIBUTE } from '@faultline/contract';
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
import { ensureFailureTopics } from './ensure-failure-topics.js';
import {
  createFailureHandler,
  DEFAULT_RETRY_DELAY_MS,
  type FailurePolicy,
  type FailureStats,
  waitHeartbeating,
} from './handle-failure.js';
import { FAULTLINE_HEADERS, headerText } from './headers.js';
import { quietKafkaJsTimers } from './kafkajs-negative-timeout.js';
import { recordLifecycle } from './lifecycle-breadcrumbs.js';
import { presample } from './presample.js';
import { attemptOf, processAttributes } from './queue-attributes.js';

const OK = { code: 1 } as const;
const STATS = Symbol.for('faultline.kafkajs.failureStats');

/**
 * What the failure policy of an instrumented consumer did so far (retried, dead-lettered,
 * unpublished, delayed), or undefined for a consumer `instrumentConsumer` did not wrap.
 */
export function failureStats(consumer: Consumer): FailureStats | undefined {
  const stats = (consumer as Consumer & { [STATS]?: FailureStats })[STATS];
  return stats ? { ...stats } : undefined;
}
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
  const policy = options.onFailure ?? { type: 'rethrow' };
  const stats: FailureStats = { retried: 0, deadLettered: 0, unpublished: 0, publishErrors: 0, delayed: 0 };
  (consumer as C & { [STATS]?: FailureStats })[STATS] = stats;
  const onFailure = createFailureHandler(policy, groupId, recordKeys, stats);
  const retryDelayMs = policy.type === 'retry-topics' ? (policy.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS) : 0;
  const run = consumer.run.bind(consumer);
  // KafkaJS refuses to subscribe to a topic that does not exist: with an admin client, the failure
  // topics a subscription needs are created first.
  const subscribe = consumer.subscribe.bind(consumer);
  consumer.subscribe = async (subscription) => {
    if (policy.type === 'retry-topics' && policy.admin) {
      const topics = 'topics' in subscription ? subscription.topics : [subscription.topic];
      const named = topics.filter((topic): topic is string => typeof topic === 'string');
      await ensureFailureTopics(policy.admin, named, policy);
    }
    return subscribe(subscription);
  };
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

  /**
   * Runs the user's handler, settles the span, and hands a failure to the failure policy. One
   * reaction on the handler's promise rather than an async function: on Node 20 every promise
   * made under a Sentry scope costs the async hooks of its AsyncLocalStorage three calls.
   */
  function settle(
    payload: EachMessagePayload,
    eachMessage: NonNullable<ConsumerRunConfig['eachMessage']>,
    span: Sentry.Span | undefined,
  ): Promise<void> {
    let handled: Promise<void>;
    try {
      handled = eachMessage(payload);
    } catch (error) {
      return fail(payload, error, span);
    }
    return Promise.resolve(handled).then(
      () => {
        if (span) {
          span.setStatus(OK);
          span.end();
        }
      },
      (error: unknown) => fail(payload, error, span),
    );
  }

  async function fail(
    payload: EachMessagePayload,
    error: unknown,
    span: Sentry.Span | undefined,
  ): Promise<void> {
    span?.setStatus(INTERNAL_ERROR);
    try {
      const { topic, partition, message, heartbeat } = payload;
      await onFailure({ topic, partition, message, error, attempt: attemptOf(message), heartbeat });
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

  /**
   * A retry published with a time not yet come waits for it here, heartbeating, at most the
   * policy's delay (a header from elsewhere cannot hold the partition longer).
   */
  async function untilDue(payload: EachMessagePayload): Promise<void> {
    const notBefore = Number(headerText(payload.message.headers, FAULTLINE_HEADERS.notBefore));
    const wait = Math.min(notBefore - Date.now(), retryDelayMs);
    if (!(wait > 0)) return;
    stats.delayed++;
    await waitHeartbeating(wait, payload.heartbeat);
  }

  consumer.run = (config?: ConsumerRunConfig) => {
    if (!config) return run(config);
    const wrapped: ConsumerRunConfig = { ...config };
    const { eachMessage, eachBatch } = config;
    if (eachMessage) {
      const handle = (payload: EachMessagePayload) => {
        // The message's isolation scope is forked here, and `withIsolationScope` forks the current
        // scope under it. Without a scope given, it would also draw a trace id through Sentry's
        // uuid4 (0.5-0.8 µs) that `continueTraceOnScope` then replaces.
        const inScope = () =>
          Sentry.withIsolationScope(Sentry.getIsolationScope().clone(), () =>
            processMessage(payload, eachMessage),
          );
        // A consumer started inside a span would otherwise parent every message's span to it.
        return Sentry.getActiveSpan() ? Sentry.withActiveSpan(null, inScope) : inScope();
      };
      wrapped.eachMessage =
        retryDelayMs > 0 ? (payload) => untilDue(payload).then(() => handle(payload)) : handle;
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
