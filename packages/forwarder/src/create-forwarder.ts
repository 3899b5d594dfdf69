import {
  connectOnce,
  foldKafkaLogs,
  proxySettingsFromEnv,
  restartUnlessStopped,
  trackSockets,
  watchConsumerStall,
  watchPartitionProgress,
  withDeadline,
} from '@faultline/contract';
import { type EachBatchHandler, Kafka, logLevel, Partitioners } from 'kafkajs';
import { createDeadLetterer } from './dead-letter.js';
import { createEnvelopeDelivery } from './deliver-envelope.js';
import { createDeliveryLoop } from './delivery-loop.js';
import type { ForwarderOptions } from './forwarder-options.js';
import { type HealthServer, startHealthServer } from './health-server.js';
import { createInFlightWindow } from './in-flight-window.js';
import { createLogger } from './logger.js';
import { mendKafkaJs } from './mend-kafkajs.js';
import { createMetricsRegistry, type ForwarderMetrics } from './metrics.js';
import { createOutcomeReporter } from './outcome-reporter.js';
import { createProjectLimiter } from './policies.js';
import { createPoster } from './post-envelope.js';
import { createRateLimitBook } from './rate-limit-book.js';
import { createRecentIds } from './recent-ids.js';
import { type ReplayProgress, type ReplayWindow, replayWindow } from './replay.js';
import { resolveForwarderConfig } from './resolve-forwarder-config.js';
import { startConsuming } from './start-consuming.js';
import { createUpstreamGate } from './upstream-gate.js';

/**
 * How long stop() waits for the last commit, and then for the consumer to leave its group. A
 * broker that answers takes well under this: the fetch in flight (1 s long-poll), then one request.
 */
const KAFKA_STOP_WAIT_MS = 5000;
/** How long stop() waits for the ingest to take the pending client reports (see OutcomeReporter.stop). */
const OUTCOMES_STOP_WAIT_MS = 5000;

export interface Forwarder {
  /**
   * Connects, waits for the topic, joins the group and starts delivering; resolves once
   * consuming (or once `stop()` was called while it waited). Never rejects for Kafka being away.
   */
  start(): Promise<void>;
  /** Delivers again every envelope of a time window, in a consumer group of its own. */
  replay(window: ReplayWindow): Promise<ReplayProgress>;
  /** Stops reading, lets requests in flight finish (up to `stopGraceMs`), commits, leaves the group. */
  stop(): Promise<void>;
  readonly metrics: ForwarderMetrics;
  /** The port of the /metrics server, when one runs. */
  readonly metricsPort: number | undefined;
  /** What /readyz answers: consuming, not stopping, not failed. */
  readonly ready: boolean;
}

/**
 * A Kafka-to-Sentry forwarder, the way Relay forwards: each envelope is checked (schema, parses,
 * allowed DSN, size per item type), policies applied, duplicates suppressed by event id, and
 * delivered to the ingest of its DSN or to the configured upstream, many at once. Offsets are
 * committed over the contiguous prefix of finished envelopes (at least once). 429s pause the DSN
 * and category; failures back off per upstream and shrink its concurrency; what can never be
 * delivered is dead-lettered; what is dropped is reported upstream as client reports.
 */
export function createForwarder(options: ForwarderOptions): Forwarder {
  mendKafkaJs();
  const config = resolveForwarderConfig(options);
  const logger = createLogger(options.logLevel, options.logger);
  // Each change of an upstream's status is one line: closed (with the failures that closed it),
  // probing, reopened (with how long it was closed). Nothing is logged per failed request.
  const gate = createUpstreamGate({
    maxConcurrency: config.maxInFlight,
    onChange: (change) => {
      const fields = {
        upstream: change.upstream,
        reason: change.reason,
        limit: change.limit,
        failureRatio: Number(change.failureRatio.toFixed(3)),
        ...(change.probes !== undefined ? { probes: change.probes, closedForMs: change.closedForMs } : {}),
      };
      if (change.status === 'closed') logger.warn('upstream closed; probing it until it answers', fields);
      else if (change.status === 'open') logger.info('upstream reopened', fields);
      else logger.debug('upstream probing', fields);
    },
  });
  const metrics = createMetricsRegistry(() => gate.snapshot());
  const { figures } = metrics;
  const poster = createPoster({
    timeoutMs: config.requestTimeoutMs,
    compressAboveBytes: config.compressAboveBytes,
    maxSockets: config.maxInFlight,
    proxy: { settings: proxySettingsFromEnv(), explicit: options.proxy },
  });
  // Shut at the end of stop(): a broker that went silent keeps no connection, and no process, open.
  const sockets = trackSockets();
  const kafka = new Kafka({
    brokers: config.brokers,
    clientId: options.clientId ?? 'faultline-forwarder',
    socketFactory: sockets.factory,
    ssl: options.ssl,
    sasl: options.sasl,
    logLevel: options.logLevel === 'debug' ? logLevel.INFO : logLevel.WARN,
    logCreator: foldKafkaLogs(logger),
  });
  // Not idempotent: a dead letter whose acknowledgement is lost in a broker outage would leave an
  // idempotent producer's sequence behind the broker's, and every later dead letter refused. A
  // duplicate dead letter is harmless; a stuck one stalls its partition.
  const producer = kafka.producer({
    idempotent: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const consumer = kafka.consumer({
    groupId: config.groupId,
    // A shorter fetch long-poll than KafkaJS's 5 s: stop() waits for the fetch in flight.
    maxWaitTimeInMs: 1000,
    // A member that dies without leaving (SIGKILL, OOM, a lost node) holds its partitions until
    // the session times out; survivors hear of the rebalance at their next heartbeat.
    sessionTimeout: config.sessionTimeoutMs,
    // KafkaJS refuses a heartbeat interval that is not below the session timeout.
    heartbeatInterval: Math.min(1000, Math.floor(config.sessionTimeoutMs / 3)),
    // How long the group waits for members to rejoin in a rebalance: a member busy in a batch
    // rejoins when it returns, within a second of its window having room.
    rebalanceTimeout: Math.max(config.sessionTimeoutMs, 15_000),
    // Topic settings (partitions, retention) are the operator's: never create it by reading it.
    allowAutoTopicCreation: false,
    // A crash that comes with stop() must not start the consumer again after it (see restartUnlessStopped).
    retry: restartUnlessStopped(() => stopping.signal.aborted),
  });
  const stopping = new AbortController();
  // Aborts the requests still on the wire once the stop's grace is over. Requests, and envelopes
  // waiting for a limit, a retry or an upstream slot, share one listener on each (onAbort).
  const cutting = new AbortController();
  const outcomes = createOutcomeReporter({
    poster,
    upstream: config.upstream,
    intervalMs: config.outcomesIntervalMs,
    figures,
    logger,
  });
  const deliver = createEnvelopeDelivery({
    limits: config.sizeLimits,
    isAllowed: config.isAllowed,
    upstream: config.upstream,
    delivered: createRecentIds(config.dedupeSize),
    overProjectLimit: createProjectLimiter(config.maxEventsPerMinute),
    maxBreadcrumbs: config.maxBreadcrumbs,
    scrubber: config.scrubber,
    rateLimits: createRateLimitBook(),
    maxRateLimitWaitMs: config.maxRateLimitWaitMs,
    gate,
    poster,
    deadLetter: createDeadLetterer({
      producer,
      topic: config.deadLetterTopic,
      groupId: config.groupId,
      figures,
      logger,
    }),
    outcomes,
    backoff: config.backoff,
    figures,
    observeLatency: metrics.observeLatency,
    logger,
    requestSignal: cutting.signal,
  });
  const window = createInFlightWindow(config.maxInFlight, config.maxInFlightPerPartition, config.maxInFlight);
  const loop = createDeliveryLoop({ consumer, window, deliver, signal: stopping.signal, figures, logger });
  let joined = false;
  let failed = false;
  let health: HealthServer | undefined;
  const isReady = () => joined && !failed && !stopping.signal.aborted;

  // Before rejoining, what was delivered is committed (the group still takes commits of the old
  // generation while it prepares the rebalance), so a partition's next owner does not send it again.
  consumer.on(consumer.events.REBALANCING, () => void loop.commit());
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    loop.rejoined();
    joined = true;
    const partitions = Object.values(payload.memberAssignment).reduce((n, p) => n + p.length, 0);
    window.assigned(partitions);
    progress.assigned(payload.memberAssignment[config.topic] ?? []);
    logger.info('consuming', { topic: config.topic, partitions });
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    joined = false;
    if (stopping.signal.aborted) return;
    if (payload.restart) {
      logger.warn('consumer stopped; KafkaJS restarts it', { reason: payload.error.message });
      return;
    }
    fail('consumer failed and will not restart', payload.error);
  });

  function fail(why: string, error: Error): void {
    if (failed) return;
    failed = true;
    stall.stop();
    progress.stop();
    logger.error(why, { reason: error.message });
    options.onFatal?.(error);
  }

  // A consumer KafkaJS lost without a crash event (seen once a broker restart crashed it twice in a
  // row: KafkaJS logged the second crash, emitted no event and never restarted it) or whose fetch
  // is never answered would read nothing, for good. A crash KafkaJS restarts from counts as life:
  // it is still trying. Counted once consuming has started.
  const stall = watchConsumerStall(consumer, {
    stallAfterMs: config.stallAfterMs,
    alsoAlive: [consumer.events.CRASH],
    onStall: (idleMs) =>
      fail(
        'consumer stalled and cannot go on',
        new Error(`the consumer stalled: no fetch for ${Math.round(idleMs / 1000)} s`),
      ),
  });
  // A consumer that still fetches, yet no longer reads a partition that has envelopes (seen once
  // in the alerts service, after a leader election), is alive to the stall watch: only the
  // partition's end offset beside what was read shows it. From the first check on, a partition not
  // read since the group gave it is judged from the group's committed offset.
  const admin = kafka.admin();
  const connectedAdmin = connectOnce(admin);
  const progress = watchPartitionProgress({
    everyMs: config.stallAfterMs,
    endOffsets: async () => (await connectedAdmin()).fetchTopicOffsets(config.topic),
    startOffsets: async () => {
      const [committed] = await (await connectedAdmin()).fetchOffsets({
        groupId: config.groupId,
        topics: [config.topic],
      });
      return committed?.partitions ?? [];
    },
    onStuck: ({ partition, unread, idleMs }) =>
      fail(
        'consumer stopped reading a partition and cannot go on',
        new Error(
          `the consumer stopped reading partition ${partition}: ${unread} envelopes unread for ${Math.round(idleMs / 1000)} s`,
        ),
      ),
  });
  // Neither watch counts the forwarder's own batches, which wait for room, limits and retries.
  const eachBatch: EachBatchHandler = stall.eachBatch(progress.eachBatch(loop.eachBatch));

  return {
    get metrics() {
      return figures;
    },
    get metricsPort() {
      return health?.port;
    },
    get ready() {
      return isReady();
    },
    async start() {
      if (options.metricsPort !== undefined) {
        health = await startHealthServer({
          port: options.metricsPort,
          registry: metrics.registry,
          isReady,
        });
      }
      const consuming = await startConsuming({
        kafka,
        producer,
        consumer,
        topic: config.topic,
        groupId: config.groupId,
        startFrom: config.startFrom,
        concurrency: config.concurrency,
        eachBatch,
        logger,
        signal: stopping.signal,
      });
      if (!consuming) return;
      if (!stopping.signal.aborted && !failed) {
        stall.start();
        progress.start();
      }
      logger.info('forwarding', {
        topic: config.topic,
        deadLetterTopic: config.deadLetterTopic,
        upstream: config.upstream?.origin ?? 'from each DSN',
        maxInFlight: config.maxInFlight,
      });
    },
    async replay(replayOptions) {
      await producer.connect();
      return replayWindow({
        kafka,
        topic: replayOptions.deadLetters ? config.deadLetterTopic : config.topic,
        groupId: config.groupId,
        maxInFlight: config.maxInFlight,
        deliver,
        signal: stopping.signal,
        window: replayOptions,
      });
    },
    async stop() {
      if (stopping.signal.aborted) return;
      stopping.abort();
      stall.stop();
      progress.stop();
      // Requests already sent finish within the grace (their envelopes commit); waits for limits
      // and retries end now, uncommitted, to be delivered after a restart. Then the group is left
      // at once, so the partitions' next owner starts from what this one delivered.
      if (!(await window.drained(config.stopGraceMs))) {
        cutting.abort();
        await window.drained(1000);
      }
      // Each Kafka step is bounded: KafkaJS waits for its requests in flight, and a broker gone
      // silent (frozen, or its host unreachable without a reset) answers none, for as long as it
      // stays so. Past the deadlines, what was not committed is delivered again after a restart.
      await withDeadline(loop.commit(), KAFKA_STOP_WAIT_MS);
      loop.stop();
      await withDeadline(
        consumer.disconnect().catch(() => undefined),
        KAFKA_STOP_WAIT_MS,
      );
      gate.close();
      await outcomes.stop(OUTCOMES_STOP_WAIT_MS);
      await withDeadline(
        producer.disconnect().catch(() => undefined),
        1000,
      );
      await withDeadline(
        admin.disconnect().catch(() => undefined),
        1000,
      );
      sockets.shut(logger);
      poster.close();
      await health?.close();
      logger.info('stopped', { delivered: figures.delivered, inFlight: window.size });
    },
  };
}
