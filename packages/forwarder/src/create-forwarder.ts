import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type DataCategory,
  disabledUntil,
  isRateLimited,
  type RateLimits,
  updateRateLimits,
} from '@sentry/core';
import { Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { LRUCache } from 'lru-cache';
import { createAllowList, type RoutedDsn } from './allow-list.js';
import type { ForwarderOptions } from './forwarder-options.js';
import { type Inspection, inspectEnvelope, serializeParts } from './inspect-envelope.js';
import { createMetrics, type ForwarderMetrics, observeLatency, renderMetrics } from './metrics.js';
import { createPoster } from './post-envelope.js';

export interface ReplayProgress {
  done: number;
  total: number;
  /** Envelopes per second so far. */
  rate: number;
  /** Seconds left at that rate. */
  etaSeconds: number;
}

export interface Forwarder {
  /** Joins the group and starts delivering; resolves once consuming. */
  start(): Promise<void>;
  /**
   * Delivers again every envelope whose Kafka timestamp is in `[from, to)` (of the envelope
   * topic, or of the dead-letter topic), in a consumer group of its own, then resolves.
   */
  replay(window: {
    from: Date;
    to?: Date;
    deadLetters?: boolean;
    onProgress?: (progress: ReplayProgress) => void;
  }): Promise<ReplayProgress>;
  /** Finishes what is in flight, commits, leaves the group. */
  stop(): Promise<void>;
  readonly metrics: ForwarderMetrics;
  /** The port of the /metrics server, when one runs. */
  readonly metricsPort: number | undefined;
}

/** Why an envelope went to the dead-letter topic. */
export type DeadLetterReason = 'malformed' | 'too_large' | 'no_dsn' | 'dsn_not_allowed' | 'rejected';

class Stopping extends Error {}

/**
 * A Kafka-to-Sentry forwarder, the way Relay forwards: each envelope is checked (parses, has an
 * allowed DSN, fits the size limits), policies applied (per-project events per minute, breadcrumb
 * trimming), duplicates suppressed by event id, and delivered to the ingest derived from its DSN
 * (or the configured upstream). An offset is committed only after the ingest accepted. On 429 the
 * partition pauses until the limit ends, then the same envelope is sent again; on 5xx, timeouts
 * and network errors it retries with exponential backoff; envelopes that can never be delivered
 * go to the dead-letter topic with the reason, the status and where they came from.
 */
export function createForwarder(options: ForwarderOptions): Forwarder {
  if (!options.allowedDsns || options.allowedDsns.length === 0) {
    throw new Error('createForwarder: allowedDsns must name at least one DSN or public key');
  }
  const topic = options.topic ?? 'sentry-envelopes';
  const deadLetterTopic = options.deadLetterTopic ?? `${topic}.dead-letter`;
  const limits = {
    maxEnvelopeBytes: options.maxEnvelopeBytes ?? 100 * 1024 * 1024,
    maxEventBytes: options.maxEventBytes ?? 1024 * 1024,
  };
  const initialBackoff = options.retryBackoff?.initialMs ?? 500;
  const maxBackoff = options.retryBackoff?.maxMs ?? 60_000;
  const isAllowed = createAllowList(options.allowedDsns);
  const upstream = options.upstream ? new URL(options.upstream) : undefined;
  const log =
    options.log ??
    ((entry: Record<string, unknown>) =>
      process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`));
  const metrics = createMetrics();
  const delivered = new LRUCache<string, true>({ max: options.dedupeSize ?? 100_000 });
  const rateLimits = new Map<string, RateLimits>();
  const projectWindows = new Map<string, { start: number; count: number }>();
  const poster = createPoster({
    timeoutMs: options.requestTimeoutMs ?? 30_000,
    compressAboveBytes: options.compressAboveBytes ?? 32 * 1024,
    maxSockets: 32,
  });
  const kafka = new Kafka({
    brokers: options.brokers,
    clientId: 'faultline-forwarder',
    ssl: options.ssl,
    sasl: options.sasl,
    logLevel: logLevel.WARN,
    logCreator: () => (entry) =>
      log({
        level: entry.label === 'ERROR' ? 'error' : 'warn',
        msg: `kafkajs ${entry.namespace}: ${entry.log.message}`,
      }),
  });
  // A shorter fetch long-poll than KafkaJS's 5 s: stop() waits for the fetch in flight.
  const consumer = kafka.consumer({
    groupId: options.groupId ?? 'faultline-forwarder',
    maxWaitTimeInMs: 1000,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  let stopping = false;
  let ready = false;
  let server: Server | undefined;
  let metricsPort: number | undefined;

  const dsnKey = (dsn: RoutedDsn) => `${dsn.publicKey}@${dsn.host}${dsn.path}/${dsn.projectId}`;

  function envelopeUrl(dsn: RoutedDsn): URL {
    // With an upstream (a Relay) configured, only that host is ever called.
    if (upstream) {
      return new URL(`${upstream.pathname.replace(/\/$/, '')}/api/${dsn.projectId}/envelope/`, upstream);
    }
    return new URL(`${dsn.protocol}://${dsn.host}${dsn.path}/api/${dsn.projectId}/envelope/`);
  }

  async function deadLetter(
    origin: { topic: string; partition: number; message: KafkaMessage },
    reason: DeadLetterReason,
    detail: string,
    status?: number,
  ): Promise<void> {
    // If this fails, the error reaches KafkaJS, the offset is not committed, and it is tried again.
    await producer.send({
      topic: deadLetterTopic,
      acks: -1,
      messages: [
        {
          key: origin.message.key,
          value: origin.message.value,
          headers: {
            ...origin.message.headers,
            'faultline-dlq-reason': reason,
            'faultline-dlq-detail': detail.slice(0, 500),
            'faultline-dlq-status': status === undefined ? '' : String(status),
            'faultline-dlq-topic': origin.topic,
            'faultline-dlq-partition': String(origin.partition),
            'faultline-dlq-offset': origin.message.offset,
            'faultline-dlq-timestamp': origin.message.timestamp,
          },
        },
      ],
    });
    metrics.deadLettered[reason] = (metrics.deadLettered[reason] ?? 0) + 1;
    log({
      level: 'warn',
      msg: 'dead-lettered',
      reason,
      detail,
      status,
      partition: origin.partition,
      offset: origin.message.offset,
    });
  }

  /** Sleeps, heartbeating so the group keeps the partition, and gives up when stopping. */
  async function wait(ms: number, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (stopping) throw new Stopping('stopping');
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, until - Date.now())));
      await heartbeat();
    }
  }

  function overProjectLimit(dsn: RoutedDsn, categories: DataCategory[]): boolean {
    if (options.maxEventsPerMinute === undefined || !categories.includes('error')) return false;
    const now = Date.now();
    let window = projectWindows.get(dsn.projectId);
    if (!window || now - window.start >= 60_000) {
      window = { start: now, count: 0 };
      projectWindows.set(dsn.projectId, window);
    }
    window.count++;
    return window.count > options.maxEventsPerMinute;
  }

  /** Keeps the last N breadcrumbs of each event item; returns the new body, or the old one untouched. */
  function trimBreadcrumbs(inspection: Extract<Inspection, { kind: 'ok' }>, body: Buffer): Buffer {
    const max = options.maxBreadcrumbs;
    if (max === undefined) return body;
    let changed = false;
    const items = inspection.items.map((item) => {
      if (item.header.type !== 'event') return item;
      const event = JSON.parse(item.payload.toString('utf8')) as { breadcrumbs?: unknown };
      const crumbs = Array.isArray(event.breadcrumbs)
        ? event.breadcrumbs
        : (event.breadcrumbs as { values?: unknown[] } | undefined)?.values;
      if (!Array.isArray(crumbs) || crumbs.length <= max) return item;
      metrics.trimmedBreadcrumbs += crumbs.length - max;
      const kept = crumbs.slice(crumbs.length - max);
      event.breadcrumbs = Array.isArray(event.breadcrumbs) ? kept : { values: kept };
      changed = true;
      return { header: item.header, payload: Buffer.from(JSON.stringify(event)) };
    });
    return changed ? serializeParts(inspection.header, items) : body;
  }

  async function handle(payload: {
    topic: string;
    partition: number;
    message: KafkaMessage;
    heartbeat: () => Promise<void>;
    pause: () => () => void;
  }): Promise<void> {
    const { message, heartbeat } = payload;
    const started = Date.now();
    const body = message.value ?? Buffer.alloc(0);
    const inspection = inspectEnvelope(body, limits);
    if (inspection.kind === 'dead') return deadLetter(payload, inspection.reason, inspection.detail);
    const { dsn, eventId, categories } = inspection;
    if (!isAllowed(dsn)) {
      return deadLetter(
        payload,
        'dsn_not_allowed',
        `DSN for project ${dsn.projectId} at ${dsn.host} is not on the allow-list`,
      );
    }
    if (eventId && delivered.has(`${dsn.projectId}:${eventId}`)) {
      metrics.duplicates++;
      return;
    }
    if (overProjectLimit(dsn, categories)) {
      metrics.dropped.max_events_per_minute = (metrics.dropped.max_events_per_minute ?? 0) + 1;
      return;
    }
    const request = trimBreadcrumbs(inspection, body);
    const url = envelopeUrl(dsn);
    const key = dsnKey(dsn);
    let backoff = initialBackoff;
    let resume: (() => void) | undefined;
    try {
      for (;;) {
        if (stopping) throw new Stopping('stopping');
        const limitsForDsn = rateLimits.get(key) ?? {};
        const now = Date.now();
        const limited =
          categories.length > 0 && categories.every((category) => isRateLimited(limitsForDsn, category, now));
        if (limited) {
          const until = Math.max(...categories.map((category) => disabledUntil(limitsForDsn, category)));
          if (!resume) {
            resume = payload.pause();
            metrics.pausedPartitions++;
          }
          await wait(Math.max(50, until - now), heartbeat);
          continue;
        }
        let result: Awaited<ReturnType<typeof poster.post>> | undefined;
        try {
          result = await poster.post(url, request, dsn.publicKey);
        } catch (error) {
          log({
            level: 'warn',
            msg: 'delivery failed, retrying',
            error: (error as Error).message,
            project: dsn.projectId,
            backoffMs: backoff,
          });
        }
        if (result) {
          const { status } = result;
          rateLimits.set(
            key,
            updateRateLimits(limitsForDsn, {
              statusCode: status,
              headers: { 'retry-after': result.retryAfter, 'x-sentry-rate-limits': result.rateLimits },
            }),
          );
          if (status >= 200 && status < 300) {
            metrics.delivered++;
            observeLatency(metrics, (Date.now() - started) / 1000);
            if (eventId) delivered.set(`${dsn.projectId}:${eventId}`, true);
            return;
          }
          if (status === 429) {
            metrics.rateLimited++;
            continue; // wait for the limit just recorded, then send the same envelope again
          }
          if (status >= 400 && status < 500 && status !== 408) {
            return deadLetter(payload, 'rejected', `the ingest answered ${status}`, status);
          }
        }
        // 5xx, 408, timeouts, network errors: back off and try again; nothing is committed meanwhile.
        metrics.retried++;
        if (!resume) {
          resume = payload.pause();
          metrics.pausedPartitions++;
        }
        await wait(backoff / 2 + Math.random() * (backoff / 2), heartbeat);
        backoff = Math.min(maxBackoff, backoff * 2);
      }
    } finally {
      if (resume) {
        resume();
        metrics.pausedPartitions--;
      }
    }
  }

  async function replay(window: Parameters<Forwarder['replay']>[0]): Promise<ReplayProgress> {
    const source = window.deadLetters ? deadLetterTopic : topic;
    const admin = kafka.admin();
    await admin.connect();
    const highWatermarks = await admin.fetchTopicOffsets(source);
    const starts = await admin.fetchTopicOffsetsByTimestamp(source, window.from.getTime());
    const ends = window.to
      ? await admin.fetchTopicOffsetsByTimestamp(source, window.to.getTime())
      : highWatermarks.map(({ partition, high }) => ({ partition, offset: high }));
    await admin.disconnect();
    // An offset of -1 means "no message at or after that time": the window ends at the high watermark.
    const highs = new Map(highWatermarks.map((o) => [o.partition, Number(o.high)]));
    const resolveOffset = (partition: number, offset: string) =>
      Number(offset) < 0 ? (highs.get(partition) ?? 0) : Number(offset);
    const range = new Map<number, { start: number; end: number }>();
    for (const { partition, offset } of starts) {
      const end = ends.find((e) => e.partition === partition);
      const startOffset = resolveOffset(partition, offset);
      const endOffset = end ? resolveOffset(partition, end.offset) : startOffset;
      if (endOffset > startOffset) range.set(partition, { start: startOffset, end: endOffset });
    }
    const total = [...range.values()].reduce((sum, r) => sum + (r.end - r.start), 0);
    const progress: ReplayProgress = { done: 0, total, rate: 0, etaSeconds: 0 };
    if (total === 0) return progress;

    const replayConsumer = kafka.consumer({
      groupId: `${options.groupId ?? 'faultline-forwarder'}-replay-${Date.now()}`,
    });
    await producer.connect();
    await replayConsumer.connect();
    await replayConsumer.subscribe({ topic: source, fromBeginning: true });
    const started = Date.now();
    const remaining = new Set(range.keys());
    await new Promise<void>((resolve, reject) => {
      replayConsumer
        .run({
          autoCommit: false,
          partitionsConsumedConcurrently: options.concurrency ?? 4,
          eachMessage: async (payload) => {
            const window_ = range.get(payload.partition);
            const offset = Number(payload.message.offset);
            if (!window_ || offset < window_.start || offset >= window_.end) {
              if (
                window_ &&
                offset >= window_.end &&
                remaining.delete(payload.partition) &&
                remaining.size === 0
              )
                resolve();
              return;
            }
            await handle({ ...payload, topic: source });
            progress.done++;
            const seconds = (Date.now() - started) / 1000;
            progress.rate = progress.done / Math.max(seconds, 0.001);
            progress.etaSeconds = (progress.total - progress.done) / Math.max(progress.rate, 0.001);
            window.onProgress?.({ ...progress });
            if (offset === window_.end - 1 && remaining.delete(payload.partition) && remaining.size === 0)
              resolve();
          },
        })
        .then(() => {
          for (const [partition, { start }] of range)
            replayConsumer.seek({ topic: source, partition, offset: String(start) });
        }, reject);
    });
    await replayConsumer.disconnect();
    return progress;
  }

  return {
    metrics,
    replay,
    get metricsPort() {
      return metricsPort;
    },
    async start() {
      if (options.metricsPort !== undefined) {
        server = createServer((req, res) => {
          if (req.url === '/metrics') {
            res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderMetrics(metrics));
          } else if (req.url === '/healthz') {
            res.writeHead(200).end('ok');
          } else if (req.url === '/readyz') {
            res.writeHead(ready && !stopping ? 200 : 503).end(ready && !stopping ? 'ready' : 'not ready');
          } else {
            res.writeHead(404).end();
          }
        });
        await new Promise<void>((resolve) => server?.listen(options.metricsPort, resolve));
        metricsPort = (server.address() as AddressInfo).port;
      }
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? true });
      consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
        const { topic: t, partition, offsetLag } = event.payload;
        metrics.lag[`${t}/${partition}`] = Number(offsetLag);
      });
      await consumer.run({
        partitionsConsumedConcurrently: options.concurrency ?? 4,
        eachMessage: async (payload) => {
          try {
            await handle(payload);
          } catch (error) {
            if (error instanceof Stopping) throw error; // not committed; redelivered after restart
            log({
              level: 'error',
              msg: 'handling failed; the message will be retried',
              error: (error as Error).message,
            });
            throw error;
          }
        },
      });
      ready = true;
      log({
        level: 'info',
        msg: 'forwarding',
        topic,
        deadLetterTopic,
        upstream: upstream?.origin ?? 'from each DSN',
      });
    },
    async stop() {
      stopping = true;
      ready = false;
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      poster.close();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      log({ level: 'info', msg: 'stopped', delivered: metrics.delivered });
    },
  };
}
