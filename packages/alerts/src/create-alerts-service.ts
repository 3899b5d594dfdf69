import {
  backoffDelay,
  connectOnce,
  createJsonLinesLogger,
  isShutSocketLog,
  type Logger,
  prefixLogger,
  restartUnlessStopped,
  sleep,
  stoppedConsumerError,
  trackSockets,
  untilDone,
  watchConsumerStall,
  watchPartitionProgress,
  whileTopicUnknown,
  withDeadline,
} from '@faultline/contract';
import {
  type EachBatchPayload,
  Kafka,
  type logCreator,
  logLevel,
  Partitioners,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import { createAlertEvaluator } from './alert-evaluator.js';
import { createAlertNotifier } from './alert-notifier.js';
import type { AlertTransition } from './alert-transition.js';
import type { AlertsOptions } from './alerts-options.js';
import { createCountOnce } from './count-once.js';
import { createEpisodeBook } from './episode-book.js';
import { joinLeadership, type Leadership, REJOIN_BACKOFF } from './leadership.js';
import { lookbackOffsets } from './lookback-offsets.js';
import { mendKafkaJs } from './mend-kafkajs.js';
import { observeMessages } from './observe-messages.js';
import { createObservePool } from './observe-pool.js';
import { type ResolvedAlertsConfig, resolveAlertsConfig } from './resolve-alerts-config.js';
import { ensureStateTopic, restoreEpisodes } from './state-topic.js';
import { createTransitionDispatcher } from './transition-dispatcher.js';

/**
 * How long each KafkaJS disconnect of a stop is waited for (a run's consumer and admin, the
 * leadership's consumer, the producer). A broker that answers takes well under this: the fetch in
 * flight (a long-poll of 1 s at most), then one request; a silent one answers none.
 */
const DISCONNECT_WAIT_MS = 5000;
/**
 * How long stop() lets a notification on its way finish. One a channel never answers would take
 * its attempts' timeouts and backoffs (about a minute); cut, it is not recorded as sent, so the
 * next active instance, reading the lookback again, sends it.
 */
const NOTIFY_STOP_WAIT_MS = 5000;

export interface AlertsStats {
  /** Whether this instance is the active one of its group (the others stand by). */
  active: boolean;
  envelopes: number;
  observations: number;
  /** Transitions sent (or, in a dry run, printed). */
  sent: number;
  /** Transitions the episode book held back: already sent before a restart, or out of order. */
  suppressed: number;
  /** Sends every channel refused (after its retries); each is tried again every `retryFailedMs`. */
  failed: number;
  /** Whether the rebuild read of the last `lookbackMinutes` is done and minutes are evaluated. */
  caughtUp: boolean;
  /** Messages that could not be read at all (not an envelope, or hostile): counted and skipped. */
  unreadable: number;
  /** Messages read from their `faultline-observations` header, without parsing their envelope. */
  fromHeader: number;
  /**
   * Messages whose `faultline-observations` header did not check out: read from their envelope
   * instead (a producer's bug or a crafted header; nothing is lost).
   */
  badObservationHeaders: number;
  /** Observations of projects not in `projects`, left out. */
  notAllowed: number;
  /**
   * Messages KafkaJS delivered again (after a crash, a rebalance, a lost seek) that were counted
   * already: skipped, so each message counts once.
   */
  readAgain: number;
  /** Seeks back a run made because KafkaJS read a partition past messages not yet counted. */
  soughtBack: number;
  /** Observations older than the lookback window, or more than 5 minutes ahead of the clock, left out. */
  late: number;
  future: number;
}

export interface AlertsService {
  /**
   * Joins the group of instances; the active one restores the episodes, reads the lookback
   * window again, then evaluates every `tickMs`. Resolves once joined, active or standing by.
   */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Evaluates the minutes that have ended (the timer calls it; tests with a fake clock too). */
  tick(): Promise<void>;
  readonly stats: AlertsStats;
  readonly config: ResolvedAlertsConfig;
}

/**
 * Consumes the envelope topic in its own group and evaluates the rules on true volume. State is
 * rebuilt at start from the last `lookbackMinutes` of the topic, and what was already sent is in
 * a compacted state topic, so a restart neither forgets an open episode nor sends it twice.
 */
export function createAlertsService(
  options: Partial<AlertsOptions> = {},
  env: Record<string, string | undefined> = process.env,
): AlertsService {
  mendKafkaJs();
  const config = resolveAlertsConfig(options, env);
  const logger = options.logger ?? createJsonLinesLogger(options.logLevel ?? 'info');
  const clock = options.clock ?? Date.now;
  for (const line of config.deprecations) logger.warn(line);
  // Shut at the end of stop(): a broker that went silent keeps no connection, and no process, open.
  const sockets = trackSockets();
  const kafka = new Kafka({
    brokers: config.brokers,
    clientId: options.clientId ?? config.connection.clientId ?? 'faultline-alerts',
    socketFactory: sockets.factory,
    ssl: options.ssl ?? config.connection.ssl,
    sasl: options.sasl ?? (config.connection.sasl as SASLOptions | undefined),
    logLevel: logLevel.WARN,
    logCreator: kafkaLogs(prefixLogger(logger, 'kafkajs ')),
  });
  /** Aborted NOTIFY_STOP_WAIT_MS into stop(): a channel that never answers cannot hold the stop. */
  const notifying = new AbortController();
  const notifier = createAlertNotifier({
    ...config,
    logger,
    http: { proxy: config.proxy, ...options.http, signal: notifying.signal },
  });
  const retryEveryMs = options.retryFailedMs ?? 30_000;
  const stats: AlertsStats = {
    active: false,
    envelopes: 0,
    observations: 0,
    sent: 0,
    suppressed: 0,
    failed: 0,
    caughtUp: false,
    unreadable: 0,
    fromHeader: 0,
    badObservationHeaders: 0,
    notAllowed: 0,
    readAgain: 0,
    soughtBack: 0,
    late: 0,
    future: 0,
  };
  if (!config.projects) {
    logger.warn(
      'no project allow-list: events of any project written to the topic are counted; set FAULTLINE_ALERTS_PROJECTS',
    );
  }
  const allowed = config.projects;
  let producer: Producer | undefined;
  let leadership: Leadership | undefined;
  let run: ActiveRun | undefined;
  // Activations and deactivations happen one at a time, in the order the group decided them.
  let switching = Promise.resolve();
  /** Activations that failed in a row, for the backoff before the next. */
  let failures = 0;
  /** Cuts a rebuild's backoff short at stop(), and start()'s wait for Kafka. */
  const closing = new AbortController();

  /** What an active instance runs: fresh rules rebuilt from the topic, the book from the state topic. */
  interface ActiveRun {
    tick(): Promise<void>;
    stop(): Promise<void>;
  }

  async function activate(): Promise<ActiveRun> {
    const evaluator = createAlertEvaluator({
      maxAgeMs: config.lookbackMinutes * 60_000,
      ...config.rules,
    });
    const late = stats.late;
    const future = stats.future;
    const book = createEpisodeBook();
    const pool = createObservePool();
    let stopped = false;
    // Stopped for good when the run is: an outage that costs this instance its leadership also
    // crashes this consumer, and KafkaJS would restart it after the stop (see restartUnlessStopped),
    // a run nobody owns, taking partitions from the next one and committing what it skips.
    const consumer = kafka.consumer({
      groupId: config.groupId,
      maxWaitTimeInMs: 500,
      retry: restartUnlessStopped(() => stopped),
    });
    // KafkaJS restarts its consumer after most failures; one it gives up on would leave the active
    // instance reading nothing, for good. The run is rebuilt instead.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart && !stopped) rebuild(`its consumer stopped: ${payload.error.message}`);
    });
    const dispatcher = createTransitionDispatcher({
      book,
      notifier,
      producer: () => producer,
      stateTopic: config.stateTopic,
      stats,
      logger,
      retryEveryMs,
      isStopped: () => stopped,
    });

    // Each message counted once, from the lookback start on, wherever KafkaJS reads from.
    const once = createCountOnce();
    // A run still fetching, yet no longer reading a partition that has messages (seen once, after
    // a leader election), is invisible to the stall watch below: its end offsets show it.
    const admin = kafka.admin();
    const connectedAdmin = connectOnce(admin);
    const progress = watchPartitionProgress({
      everyMs: config.stallAfterMs,
      endOffsets: async () => (await connectedAdmin()).fetchTopicOffsets(config.topic),
      onStuck: ({ partition, unread, idleMs }) => {
        if (!stopped) {
          rebuild(
            `its consumer stopped reading partition ${partition}: ${unread} messages unread for ${Math.round(idleMs / 1000)} s`,
          );
        }
      },
    });

    // Each step of a rebuild at debug level: a rebuild that stalls says where.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions = payload.memberAssignment[config.topic] ?? [];
      progress.assigned(partitions);
      logger.debug('the active run joined its group', { partitions });
    });

    // A run KafkaJS stopped without a crash (seen after a broker restart: joined, caught up, then
    // no fetch at all) would leave the active instance reading nothing, for good. Rebuilt instead.
    const stall = watchConsumerStall(consumer, {
      stallAfterMs: config.stallAfterMs,
      onStall: (idleMs) => {
        if (!stopped) rebuild(`its consumer stalled: no fetch for ${Math.round(idleMs / 1000)} s`);
      },
    });

    // A rebuild that fails part-way (the brokers away again) leaves nothing running: a consumer
    // left behind would rejoin the group on KafkaJS's restart timer and split the partitions with
    // the next attempt's.
    try {
      stats.caughtUp = false;
      const restored = await restoreEpisodes(kafka, config.stateTopic, book);
      logger.debug('episodes restored from the state topic', { episodes: restored });
      const { starts, pending } = await lookbackOffsets(
        kafka,
        config.topic,
        clock() - config.lookbackMinutes * 60_000,
      );
      logger.debug('lookback offsets found', { starts, pending: Object.fromEntries(pending) });
      const caughtUp = () => {
        if (stats.caughtUp || pending.size > 0) return;
        stats.caughtUp = true;
        logger.info('active, rebuilt: evaluating', {
          envelopes: stats.envelopes,
          episodes: restored,
          lookbackMinutes: config.lookbackMinutes,
          parseWorkers: pool.workers,
        });
      };

      stall.start();
      await consumer.connect();
      // From the beginning: not where the run starts (the lookback's seeks say that), but where
      // KafkaJS goes when an offset is out of range. Retention that deletes the lookback's start
      // before it is read would otherwise send the run to the end, skipping what is left of the
      // window; a partition the topic gains while the run is up is read whole, too.
      await whileTopicUnknown(() => consumer.subscribe({ topic: config.topic, fromBeginning: true }));
      await consumer.run({
        // Batches of several partitions in flight: one is parsed by the pool while another is fetched.
        partitionsConsumedConcurrently: 4,
        // A batch is resolved once counted (below), never because the handler returned.
        eachBatchAutoResolve: false,
        // Its own work never counts as a stall: a batch waits on the parse pool and the channels.
        eachBatch: stall.eachBatch(progress.eachBatch(countBatch)),
      });
      // The rules' windows are rebuilt from the lookback window, whatever the group committed.
      for (const { partition, offset } of starts) {
        consumer.seek({ topic: config.topic, partition, offset: String(offset) });
        const at = Number(offset);
        if (at >= 0) {
          progress.expect(partition, at);
          once.start(partition, at);
        }
      }
      progress.start();
      logger.debug('the active run is consuming from the lookback offsets');
      caughtUp();
      const tick = async () => {
        if (!stats.caughtUp || stopped) return;
        await dispatcher.retryFailed();
        await dispatcher.handle(evaluator.tick(clock()));
      };
      const timer = setInterval(() => void tick(), config.tickMs);
      timer.unref();
      return {
        tick,
        async stop() {
          stopped = true;
          stall.stop();
          progress.stop();
          clearInterval(timer);
          // Disconnected in the same tick as `stopped` is set: a batch KafkaJS would start after it
          // meets the handler's stopped check, which ends a consumer (see stoppedConsumerError).
          // Not waited for past DISCONNECT_WAIT_MS: KafkaJS waits for its requests in flight, and
          // a stalled run's may never be answered. Left behind, it is ended at its next batch.
          await withDeadline(
            consumer.disconnect().catch(() => undefined),
            DISCONNECT_WAIT_MS,
          );
          await dispatcher.idle();
          await pool.close();
          await withDeadline(
            admin.disconnect().catch(() => undefined),
            DISCONNECT_WAIT_MS,
          );
          stats.caughtUp = false;
        },
      };

      async function countBatch({
        batch,
        resolveOffset,
        heartbeat,
        isRunning,
        isStale,
      }: EachBatchPayload): Promise<void> {
        if (stopped) throw stoppedConsumerError();
        const last = batch.messages.at(-1);
        if (!last || isStale()) return;
        const plan = once.plan(batch.partition, batch.messages);
        if ('seek' in plan) {
          stats.soughtBack++;
          logger.warn('the run read past messages it had not counted; seeking back', {
            partition: batch.partition,
            from: batch.messages[0]?.offset,
            to: plan.seek,
          });
          consumer.seek({ topic: config.topic, partition: batch.partition, offset: String(plan.seek) });
          return;
        }
        stats.readAgain += plan.from;
        if (plan.from === batch.messages.length) {
          resolveOffset(last.offset);
          return;
        }
        const messages = plan.from === 0 ? batch.messages : batch.messages.slice(plan.from);
        const parsed = await observeMessages(pool, messages, stats);
        // KafkaJS stopping the consumer: nothing resolved, the batch is read again by the next run.
        // A seek waiting for this partition (the lookback's, made while this batch was fetched):
        // nothing counted, the seek reads these messages again, and they must count once.
        if (!isRunning() || isStale()) return;
        if (stopped) throw stoppedConsumerError();
        // The whole batch through the rules, then its transitions in order: one hand-over per batch.
        const transitions: AlertTransition[] = [];
        const now = clock();
        for (let observations of parsed) {
          if (!observations) {
            stats.unreadable++;
            continue;
          }
          if (allowed && observations.some((o) => !allowed.has(o.project))) {
            const kept = observations.filter((o) => allowed.has(o.project));
            stats.notAllowed += observations.length - kept.length;
            observations = kept;
          }
          stats.observations += observations.length;
          let found: AlertTransition[];
          try {
            found = evaluator.observe(observations, now);
          } catch (error) {
            // Observations are checked values, so this is a bug: one message's worth is lost, not the stream.
            stats.unreadable++;
            logger.error('the rules could not count a message; skipped', {
              error: (error as Error).message,
            });
            continue;
          }
          if (found.length > 0) transitions.push(...found);
        }
        stats.late = late + evaluator.stats.late;
        stats.future = future + evaluator.stats.future;
        stats.envelopes += messages.length;
        once.counted(batch.partition, last.offset);
        if (transitions.length > 0) await dispatcher.handle(transitions);
        resolveOffset(last.offset);
        if (Number(last.offset) + 1 >= (pending.get(batch.partition) ?? Number.POSITIVE_INFINITY)) {
          pending.delete(batch.partition);
          caughtUp();
        }
        await heartbeat();
      }
    } catch (error) {
      stopped = true;
      stall.stop();
      progress.stop();
      await consumer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await pool.close();
      throw error;
    }
  }

  /** Activates, or on failure (the brokers away) says so and tries again after a backoff. */
  async function tryActivate(): Promise<void> {
    try {
      run = await activate();
      failures = 0;
    } catch (error) {
      failures++;
      logger.error('could not become active; trying again', { error: (error as Error).message });
      rebuild('activation failed');
    }
  }

  /** Stops the active run and activates again after a backoff, while this instance is the active one. */
  function rebuild(why: string): void {
    switching = switching.then(async () => {
      if (!stats.active) return;
      if (run) {
        logger.warn(`the active run stopped (${why}): rebuilding`);
        const stopping = run;
        run = undefined;
        await stopping.stop();
      }
      await sleep(backoffDelay(Math.max(0, failures - 1), REJOIN_BACKOFF), closing.signal);
      if (stats.active && !run && !closing.signal.aborted) await tryActivate();
    });
  }

  const onLeadership = (active: boolean) => {
    switching = switching.then(async () => {
      stats.active = active;
      if (active && !run) {
        logger.info('this instance is the active one: rebuilding');
        await tryActivate();
      } else if (!active && run) {
        logger.info('another instance is active now: standing by');
        const stopping = run;
        run = undefined;
        await stopping.stop();
      }
    });
  };

  return {
    config,
    stats,
    async start() {
      // Users start services in any order: brokers not up yet, or one just lost and still named by
      // the metadata, are waited for (one log line per reason), as the forwarder does. A refused
      // login or a denied ACL is thrown: waiting would not mend it.
      // stop() came while a step was under way: what that step connected is closed at once, and
      // again once the step it cut short settles (it may connect after this).
      const close = async () => {
        await leadership?.stop();
        await producer?.disconnect().catch(() => undefined);
      };
      await untilDone(
        'joining Kafka',
        async () => {
          await ensureStateTopic(kafka, config.stateTopic);
          // The partitioner KafkaJS 2 uses anyway: named, so KafkaJS does not warn about it.
          producer ??= kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
          await producer.connect();
          leadership ??= await joinLeadership(
            kafka,
            { topic: config.leaderTopic, groupId: `${config.groupId}.leader` },
            onLeadership,
          );
        },
        { logger, signal: closing.signal, isFatal: isRefusedByKafka, closeAbandoned: close },
      );
      if (closing.signal.aborted) await close();
    },
    async tick() {
      await switching;
      await run?.tick();
    },
    async stop() {
      closing.abort();
      const cutNotifications = setTimeout(() => notifying.abort(), NOTIFY_STOP_WAIT_MS);
      // Bounded: KafkaJS waits for its requests in flight, and a broker gone silent (frozen, or
      // its host unreachable without a reset) answers none for as long as it stays so.
      await withDeadline(leadership?.stop() ?? Promise.resolve(), DISCONNECT_WAIT_MS);
      await switching;
      await withDeadline(
        producer?.disconnect().catch(() => undefined) ?? Promise.resolve(),
        DISCONNECT_WAIT_MS,
      );
      clearTimeout(cutNotifications);
      sockets.shut(logger);
    },
  };
}

/** A refused login, or an ACL that denies the service its topics or group. */
function isRefusedByKafka(error: unknown): boolean {
  for (
    let e = error as { name?: string; type?: string; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (e.name === 'KafkaJSSASLAuthenticationError' || /_AUTHORIZATION_FAILED$/.test(e.type ?? ''))
      return true;
  }
  return false;
}

function kafkaLogs(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      // A refused login reaches the user once, as start()'s error (KafkaJS logs it twice more);
      // connections a stop gave up on and shut, once, by stop().
      if (
        level <= logLevel.WARN &&
        !/authentication failed/i.test(String(log.message)) &&
        !isShutSocketLog(log.message)
      ) {
        // The group says which consumer it was: the leadership's, the active run's or a restore's.
        logger.warn(`${namespace}: ${log.message}`, log.groupId ? { groupId: log.groupId } : undefined);
      }
    };
}
