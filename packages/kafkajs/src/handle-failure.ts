import { backoffDelay, deadLetterTopicFor, originHeaders } from '@faultline/contract';
import * as Sentry from '@sentry/node';
import type { Admin, KafkaMessage, Producer } from 'kafkajs';
import { cleanHeaders, FAULTLINE_HEADERS, headerText } from './headers.js';

/** What happens when a handler throws. */
export type FailurePolicy =
  | {
      /** Rethrow: KafkaJS retries the message itself (and, for TypeErrors, stops the consumer). */
      type: 'rethrow';
    }
  | RetryTopicsPolicy;

/**
 * Publish the failed message to a retry topic of its own with an attempt count and a time before
 * which it is not run again, up to `maxAttempts`, then to the dead-letter topic. Subscribe the
 * consumer (or a second one, so retries never hold up fresh messages) to the retry topic too.
 */
export interface RetryTopicsPolicy {
  type: 'retry-topics';
  producer: Producer;
  /**
   * A connected admin client: `subscribe()` then creates the retry and dead-letter topics of each
   * topic it subscribes by name (and a retry topic subscribed by name) when they are missing, with
   * the source topic's partition count, and rejects with one line naming them when they are
   * missing and cannot be created. Without it nothing is checked at start.
   * @default none
   */
  admin?: Admin;
  /** Attempts in all, the first delivery included. @default 3 */
  maxAttempts?: number;
  /** @default `<original topic>.retry` (never the source topic: other groups would see it again) */
  retryTopic?: string;
  /**
   * How long a retried message waits before it runs again. The consumer waits (heartbeating)
   * when it reaches a retry whose time has not come; a wait is never longer than this.
   * @default 5000 ms
   */
  retryDelayMs?: number;
  /** @default `<original topic>.dead-letter` */
  deadLetterTopic?: string;
  /**
   * How long to keep trying to publish a retry or dead letter (backing off, heartbeating) before
   * giving up on it: the message is then counted (`failureStats().unpublished`), captured with its
   * topic, partition and offset (it stays in the source topic for its retention), and the offset
   * moves on, so one unwritable topic never stops the consumer.
   * @default 30 000 ms
   */
  publishTimeoutMs?: number;
}

/** Counts of what the failure policy did, per instrumented consumer. */
export interface FailureStats {
  /** Failed messages published to the retry topic. */
  retried: number;
  /** Messages published to the dead-letter topic after their last attempt. */
  deadLettered: number;
  /** Retries or dead letters that could not be published within `publishTimeoutMs`. */
  unpublished: number;
  /** Publish attempts that failed (each is retried until `publishTimeoutMs`). */
  publishErrors: number;
  /** Retries the consumer waited for because their time had not come. */
  delayed: number;
}

/** A failed message, as the failure handler needs it. */
export interface FailedMessage {
  topic: string;
  partition: number;
  message: KafkaMessage;
  error: unknown;
  /** Attempts before this one (0 on first delivery). */
  attempt: number;
  /** KafkaJS's heartbeat for this message, called while a publish is retried. */
  heartbeat?: () => Promise<void>;
}

export const DEFAULT_RETRY_DELAY_MS = 5000;
const DEFAULT_PUBLISH_TIMEOUT_MS = 30_000;
/** Largest number of failing offsets remembered to capture each once under `rethrow`. */
const CAPTURED_OFFSETS_LIMIT = 1000;
const ERROR_MESSAGE_HEADER_LIMIT = 1000;
/** Heartbeats while waiting: well inside KafkaJS's default 30 s session. */
const HEARTBEAT_EVERY_MS = 3000;

/** The retry topic of a source topic under a policy. */
export function retryTopicFor(policy: RetryTopicsPolicy, originalTopic: string): string {
  return policy.retryTopic ?? `${originalTopic}.retry`;
}

/** The dead-letter topic of a source topic under a policy. */
export function deadLetterTopicOf(policy: RetryTopicsPolicy, originalTopic: string): string {
  return policy.deadLetterTopic ?? deadLetterTopicFor(originalTopic);
}

/**
 * Returns the handler for a failed message: it captures the error once with a `kafka` context,
 * then rethrows (KafkaJS redelivers) or publishes the message to the retry topic, or after the
 * last attempt to the dead-letter topic, with headers that say where it came from and why it
 * failed. A publish that keeps failing is retried with backoff for `publishTimeoutMs`, then
 * counted and captured, and the offset moves on.
 */
export function createFailureHandler(
  policy: FailurePolicy,
  groupId: string,
  recordKeys: boolean,
  stats: FailureStats,
): (failed: FailedMessage) => Promise<void> {
  const capturedOffsets = new Set<string>();

  return async ({ topic, partition, message, error, attempt, heartbeat }) => {
    const original = {
      topic: headerText(message.headers, FAULTLINE_HEADERS.originalTopic) ?? topic,
      partition: headerText(message.headers, FAULTLINE_HEADERS.originalPartition) ?? String(partition),
      offset: headerText(message.headers, FAULTLINE_HEADERS.originalOffset) ?? message.offset,
      timestamp: headerText(message.headers, FAULTLINE_HEADERS.originalTimestamp) ?? message.timestamp,
    };
    const kafkaContext = () => ({
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
    const capture = (captured: unknown, extra: Record<string, unknown> = {}) =>
      Sentry.withScope((scope) => {
        scope.setContext('kafka', { ...kafkaContext(), ...extra });
        scope.setTags({ 'messaging.destination.name': topic, 'kafka.consumer_group': groupId });
        Sentry.captureException(captured, {
          mechanism: { type: 'auto.queue.faultline.kafkajs', handled: false },
        });
      });

    if (policy.type === 'rethrow') {
      // KafkaJS redelivers the message after a rethrow: capture each failing offset once.
      const key = `${topic}/${partition}/${message.offset}`;
      if (!capturedOffsets.has(key)) {
        if (capturedOffsets.size >= CAPTURED_OFFSETS_LIMIT) capturedOffsets.clear();
        capturedOffsets.add(key);
        capture(error);
      }
      throw error;
    }

    const maxAttempts = policy.maxAttempts ?? 3;
    const failed = attempt + 1;
    const dead = failed >= maxAttempts;
    // One event per failing message: when it is given up on. Earlier attempts show as error
    // spans and breadcrumbs.
    if (dead) capture(error);
    const target = dead ? deadLetterTopicOf(policy, original.topic) : retryTopicFor(policy, original.topic);
    const headers = cleanHeaders(message.headers);
    delete headers['sentry-trace'];
    delete headers.baggage;
    delete headers.traceparent;
    delete headers[FAULTLINE_HEADERS.notBefore];
    Object.assign(headers, originHeaders({ ...original, group: groupId }), {
      [FAULTLINE_HEADERS.attempt]: String(failed),
      [FAULTLINE_HEADERS.errorClass]: error instanceof Error ? error.name : typeof error,
      [FAULTLINE_HEADERS.errorMessage]: (error instanceof Error ? error.message : String(error)).slice(
        0,
        ERROR_MESSAGE_HEADER_LIMIT,
      ),
    });
    if (!dead) {
      headers[FAULTLINE_HEADERS.notBefore] = String(
        Date.now() + (policy.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS),
      );
    }
    const published = await publishWithBackoff(
      () =>
        policy.producer.send({
          topic: target,
          messages: [{ key: message.key, value: message.value, headers }],
        }),
      policy.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS,
      stats,
      heartbeat,
    );
    if (!published.ok) {
      stats.unpublished++;
      capture(
        new Error(
          `could not publish ${dead ? 'the dead letter' : 'the retry'} to ${target} within ${policy.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS} ms: ${errorText(published.error)}; the message stays at offset ${original.offset} of ${original.topic} partition ${original.partition}`,
          { cause: published.error },
        ),
        { unpublished_target: target },
      );
      return;
    }
    if (dead) stats.deadLettered++;
    else stats.retried++;
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

/**
 * Publishes, retrying with backoff (200 ms doubling to 5 s) until `timeoutMs`, heartbeating
 * between attempts so the group keeps this member. A heartbeat that fails (a rebalance) ends the
 * wait by throwing to KafkaJS, which leaves the offset uncommitted for the next owner.
 */
async function publishWithBackoff(
  send: () => Promise<unknown>,
  timeoutMs: number,
  stats: FailureStats,
  heartbeat: (() => Promise<void>) | undefined,
): Promise<{ ok: true } | { ok: false; error: unknown }> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await send();
      return { ok: true };
    } catch (error) {
      stats.publishErrors++;
      const left = deadline - Date.now();
      if (left <= 0) return { ok: false, error };
      await waitHeartbeating(
        Math.min(left, backoffDelay(attempt, { initialMs: 200, maxMs: 5000 })),
        heartbeat,
      );
    }
  }
}

/** Sleeps `ms`, calling KafkaJS's heartbeat every few seconds meanwhile. */
export async function waitHeartbeating(
  ms: number,
  heartbeat: (() => Promise<void>) | undefined,
): Promise<void> {
  const until = Date.now() + ms;
  for (let left = ms; left > 0; left = until - Date.now()) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, HEARTBEAT_EVERY_MS)));
    await heartbeat?.();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
