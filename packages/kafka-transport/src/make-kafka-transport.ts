import {
  backoffDelay,
  createConsoleLogger,
  DEFAULT_ENVELOPE_TOPIC,
  type KafkaTransportStats,
  sleep,
  trackSockets,
  withDeadline,
} from '@faultline/contract';
import { defaultSpoolDir, type Spool, type SpoolBatch } from '@faultline/spool';
import type { BaseTransportOptions, DataCategory, Envelope, Transport } from '@sentry/core';
import { CompressionTypes, Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import { type EnvelopeMessage, toEnvelopeMessage } from './envelope-message.js';
import { ingestTargetFromUrl } from './ingest-target.js';
import type { KafkaTransportOptions } from './kafka-transport-options.js';
import { mendKafkaJs } from './mend-kafkajs.js';
import { messageFromBytes } from './message-from-bytes.js';
import { releaseWhenIdle } from './release-when-idle.js';
import { openTransportSpools } from './transport-spools.js';

/** The transport Sentry gets, plus what Faultline needs to shut it down and observe it. */
export interface KafkaTransport extends Transport {
  /** Flushes, then disconnects the producer and closes the spool. */
  close(timeoutMs?: number): Promise<boolean>;
  stats(): KafkaTransportStats;
  /**
   * Registers a hook run synchronously on `process.exit()`, before the spool closes: the
   * envelopes it returns are written to the spool. Returns a function that removes it.
   */
  addExitHook(hook: () => Envelope[]): () => void;
}

/** A Sentry transport factory for `Sentry.init({ transport })`, with access to what it made. */
export type KafkaTransportFactory = ((options: BaseTransportOptions) => KafkaTransport) & {
  /** The transport the factory made last (Sentry makes one per client). */
  readonly current: KafkaTransport | undefined;
};

const COMPRESSION = { gzip: CompressionTypes.GZIP, none: CompressionTypes.None } as const;

/**
 * A Sentry transport that publishes each envelope to a Kafka topic (see the message contract in
 * `toEnvelopeMessage`). `send()` returns at once; envelopes are batched by count and a short
 * linger and sent by an idempotent producer with `acks: -1`. While Kafka is unreachable, slow or
 * the memory queue is full, envelopes go to a crash-safe disk spool, and a background drainer
 * sends them when Kafka is back, with bounded backoff. On `process.exit()` whatever is still in
 * memory is written to the spool synchronously. Nothing here throws into the app.
 *
 * @example
 * ```ts
 * Sentry.init({ dsn, transport: makeKafkaTransport({ brokers: ['kafka:9092'] }) });
 * ```
 */
export function makeKafkaTransport(options: KafkaTransportOptions): KafkaTransportFactory {
  let current: KafkaTransport | undefined;
  const factory = ((transportOptions: BaseTransportOptions) => {
    current = createKafkaTransport(options, transportOptions);
    return current;
  }) as KafkaTransportFactory;
  Object.defineProperty(factory, 'current', { get: () => current });
  return factory;
}

interface Pending {
  message: Message & { value: Buffer };
  categories: DataCategory[];
}

/** A batch of the spool's backlog: where it was read, and its messages rebuilt. */
interface BacklogBatch {
  source: Spool;
  read: SpoolBatch;
  batch: Pending[];
}

function createKafkaTransport(
  options: KafkaTransportOptions,
  transportOptions: BaseTransportOptions,
): KafkaTransport {
  mendKafkaJs();
  const topic = options.topic ?? DEFAULT_ENVELOPE_TOPIC;
  const clientId = options.clientId ?? 'faultline';
  const batchSize = options.batchSize ?? 200;
  const lingerMs = options.lingerMs ?? 10;
  const maxQueueBytes = options.maxQueueBytes ?? 1024 * 1024;
  const maxMessageBytes = options.maxMessageBytes ?? 1_000_000;
  const sendTimeoutMs = options.sendTimeoutMs ?? 10_000;
  const initialBackoff = options.retryBackoff?.initialMs ?? 500;
  const maxBackoff = options.retryBackoff?.maxMs ?? 30_000;
  const backlogProbeMs = options.retryBackoff?.backlogProbeMs ?? 1000;
  const compression = COMPRESSION[options.compression ?? 'gzip'];
  const logger = options.logger ?? createConsoleLogger('[faultline] kafka transport:');
  const record = (
    reason: Parameters<BaseTransportOptions['recordDroppedEvent']>[0],
    categories: DataCategory[],
  ) => {
    for (const category of categories) transportOptions.recordDroppedEvent(reason, category);
  };
  const target = ingestTargetFromUrl(transportOptions.url);

  const stats = { delivered: 0, spooled: 0, drained: 0, dropped: 0, adopted: 0 };
  // The service's spool directory; this process spools in a slot of it and drains slots left
  // by processes gone (see openTransportSpools).
  const spools = openTransportSpools({
    root: options.spool === false ? undefined : (options.spool?.dir ?? defaultSpoolDir(clientId)),
    options: {
      ...(options.spool || {}),
      onDrop: (payloads: Buffer[], reason: 'full' | 'write_error') => {
        stats.dropped += payloads.length;
        for (const payload of payloads) {
          record(
            reason === 'full' ? 'queue_overflow' : 'internal_sdk_error',
            messageFromBytes(payload)?.categories ?? [],
          );
        }
      },
    },
    logger,
    onAdopted: () => {
      if (connected && !outage) void pump();
      else if (retryTimer) {
        // A probe far off in the backoff: with a backlog now, Kafka is probed every backlogProbeMs.
        clearTimeout(retryTimer);
        retryTimer = undefined;
        scheduleRetry();
      }
    },
    onSlotDrained: () => {
      stats.adopted++;
    },
  });

  // The sockets are counted so the transport can tell when only its own connection keeps the
  // process alive (see releaseWhenIdle).
  const sockets = trackSockets(options.kafka?.socketFactory);
  const kafka = new Kafka({
    connectionTimeout: 3000,
    requestTimeout: sendTimeoutMs,
    ...options.kafka,
    socketFactory: sockets.factory,
    clientId,
    brokers: options.brokers,
    ssl: options.ssl,
    sasl: options.sasl,
    // KafkaJS's own retries are short: the spool and the drainer's backoff handle outages.
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000, ...options.kafka?.retry },
    // KafkaJS logs every retried request and connection error; the transport reports outages
    // itself, once each, from the errors KafkaJS gives back.
    logLevel: logLevel.NOTHING,
  });
  const newProducer = (): Producer => {
    const created = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
    });
    created.on(created.events.DISCONNECT, () => {
      if (created === producer) connected = false;
    });
    return created;
  };
  let producer: Producer = newProducer();

  const queue: Pending[] = [];
  let queueBytes = 0;
  let inFlight: Pending[] | undefined;
  let connected = false;
  let connecting: Promise<void> | undefined;
  // While true, envelopes go straight to the spool; a retry clears it to probe Kafka again.
  let outage = false;
  let reportedOutage = false;
  let failedAttempts = 0;
  let pumping = false;
  let closed = false;
  let lingerTimer: NodeJS.Timeout | undefined;
  /** Resolved whenever the pump stops with nothing queued or in flight (flush waits on this). */
  let idleWaiters: (() => void)[] = [];
  let retryTimer: NodeJS.Timeout | undefined;

  /**
   * A batch whose acknowledgement was lost in an outage may have been written after all; KafkaJS
   * then keeps its old sequence number, and the broker refuses every later batch of this producer
   * id for ever (out of order, or a duplicate). A new producer gets a new id: the spool drains
   * again, and at worst that one batch arrives twice (at least once, as documented).
   */
  function replaceProducerIfStuck(error: unknown): void {
    if (!isProducerStateError(error)) return;
    const stuck = producer;
    producer = newProducer();
    connected = false;
    void stuck.disconnect().catch(() => undefined);
  }

  function connect(): Promise<void> {
    connecting ??= producer
      .connect()
      .then(() => {
        connected = true;
      })
      .catch((error: Error) => {
        connected = false;
        // The reason matters when it is not an outage: a refused login names its mechanism.
        noteOutage(`cannot connect to the brokers (${error.message})`);
      })
      .finally(() => {
        connecting = undefined;
      });
    return connecting;
  }

  function noteOutage(why: string): void {
    if (!reportedOutage) logger.warn(`${why}; envelopes go to the spool until Kafka is back`);
    reportedOutage = true;
    outage = true;
    scheduleRetry();
  }

  function backlog(): number {
    return spools.records();
  }

  function scheduleRetry(): void {
    if (retryTimer || closed) return;
    // While a backlog waits, probe often: the spool drains soon after Kafka is back.
    const cap = backlog() > 0 ? Math.min(maxBackoff, backlogProbeMs) : maxBackoff;
    const delay = backoffDelay(failedAttempts++, { initialMs: Math.min(initialBackoff, cap), maxMs: cap });
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void (connected ? Promise.resolve() : connect()).then(() => {
        if (!connected) return; // connect() failed and scheduled the next retry
        outage = false; // probe: the next send tells whether Kafka is back
        return pump();
      });
    }, delay);
    retryTimer.unref();
  }

  /** Writes envelopes to the spool (or counts them lost without one). */
  function spill(pending: Pending[]): void {
    for (const item of pending) {
      const spool = spools.own;
      if (spool?.append(item.message.value)) stats.spooled++;
      else if (!spool) {
        stats.dropped++;
        record('network_error', item.categories);
      }
    }
  }

  async function sendToKafka(batch: Pending[]): Promise<boolean> {
    inFlight = batch;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no acknowledgement within ${sendTimeoutMs} ms`)),
          sendTimeoutMs,
        );
      });
      await Promise.race([
        producer.send({ topic, messages: batch.map((p) => p.message), acks: -1, compression }),
        timeout,
      ]);
      stats.delivered += batch.length;
      if (reportedOutage) logger.info('Kafka is reachable again; draining the spool');
      reportedOutage = false;
      outage = false;
      failedAttempts = 0;
      return true;
    } catch (error) {
      replaceProducerIfStuck(error);
      noteOutage(`sending failed (${(error as Error).message})`);
      return false;
    } finally {
      clearTimeout(timer);
      inFlight = undefined;
    }
  }

  /** The next batch of the backlog, read and rebuilt into messages; undefined when there is none. */
  function readBacklog(): BacklogBatch | undefined {
    // This process's own backlog first, then what a process that is gone left.
    const source = spools.next();
    if (!source || source.stats().records === 0) return undefined;
    const read = source.read(batchSize, 1024 * 1024);
    if (read.records.length === 0) return undefined;
    const batch: Pending[] = [];
    for (const value of read.records) {
      const rebuilt = messageFromBytes(value);
      if (rebuilt) batch.push(rebuilt);
    }
    // A record that checked out on disk but is no envelope (only this transport writes the
    // spool, so a bug): it cannot be sent, and goes with its batch, counted.
    if (batch.length < read.records.length) {
      stats.dropped += read.records.length - batch.length;
      logger.warn(`dropped ${read.records.length - batch.length} spooled record(s) that are not envelopes`);
    }
    return { source, read, batch };
  }

  /** The one loop that talks to Kafka: fresh envelopes first, then the spool's backlog. */
  async function pump(): Promise<void> {
    if (pumping || closed) return;
    pumping = true;
    // The backlog batch read while the previous one was on its way to Kafka, and the previous one
    // once Kafka had it: its acknowledgement (a cursor file written and renamed) is made while
    // the next batch is on its way. A crash in between sends that one batch again: at least once.
    let prefetched: BacklogBatch | undefined;
    let delivered: BacklogBatch | undefined;
    const acknowledge = () => {
      if (!delivered) return;
      // Once closed, the spool's lock may be another process's: the batch is left to be sent
      // again by whoever drains the slot next (at least once), not recorded here.
      if (closed) {
        delivered = undefined;
        return;
      }
      delivered.source.ack(delivered.read);
      stats.drained += delivered.batch.length;
      if (delivered.source === spools.adopted) spools.drainedSome();
      delivered = undefined;
    };
    try {
      while (!closed) {
        if (queue.length > 0) {
          const batch = queue.splice(0, batchSize);
          for (const item of batch) queueBytes -= item.message.value.length;
          // At start-up (or after an idle release) the envelopes wait for the connection rather
          // than take the disk path.
          if (!connected && !outage) await connect();
          if (!connected || outage) {
            spill(batch);
            continue;
          }
          if (!(await sendToKafka(batch))) spill(batch);
          continue;
        }
        if (!connected || outage) break;
        const current = prefetched ?? readBacklog();
        prefetched = undefined;
        if (!current) break;
        if (current.batch.length === 0) {
          // Nothing in it could be sent (no record was an envelope): acknowledged as it is.
          acknowledge();
          delivered = current;
          continue;
        }
        const sending = sendToKafka(current.batch);
        // While Kafka acknowledges, the previous batch is acknowledged to the spool and the next
        // is read from disk and rebuilt: the round trip hides that work instead of adding to it.
        // The send is encoded and written first: it runs in microtasks, before the immediate.
        await new Promise((resolve) => setImmediate(resolve));
        acknowledge();
        if (queue.length === 0 && !closed) prefetched = readBacklog();
        if (await sending) {
          delivered = current;
        } else {
          // Read again from the first unacknowledged record: this batch and the one read ahead.
          current.source.rewind();
          prefetched?.source.rewind();
          prefetched = undefined;
        }
      }
    } finally {
      acknowledge();
      prefetched?.source.rewind();
      pumping = false;
    }
    if (queue.length === 0 && !inFlight && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (!closed && backlog() > 0 && (outage || !connected)) scheduleRetry();
  }

  /** Connects now if need be, and lets the next pump try Kafka even mid-backoff. */
  async function probe(): Promise<void> {
    if (!connected) await connect();
    if (connected) outage = false;
  }

  function isIdle(): boolean {
    return queue.length === 0 && !inFlight && !pumping && backlog() === 0 && !lingerTimer;
  }

  function schedulePump(): void {
    if (queue.length >= batchSize || queueBytes >= maxQueueBytes) {
      void pump();
    } else if (!lingerTimer) {
      lingerTimer = setTimeout(() => {
        lingerTimer = undefined;
        void pump();
      }, lingerMs);
    }
  }

  /** On process.exit(): nothing in memory is lost; it goes to the spool, synchronously. */
  const exitHooks = new Set<() => Envelope[]>();
  const onExit = () => {
    for (const hook of exitHooks) {
      try {
        for (const envelope of hook()) spill([toEnvelopeMessage(envelope, target)]);
      } catch {
        // An exit hook must not stop the rest from being saved.
      }
    }
    const unsent = [...(inFlight ?? []), ...queue.splice(0)];
    queueBytes = 0;
    spill(unsent);
    spools.closeAtExit();
  };
  process.on('exit', onExit);

  void connect().then(() => {
    spools.adopt();
    if (backlog() > 0) void pump();
  });

  // A script that never calls close() must still end: when nothing but this transport's
  // connection keeps the process alive and nothing waits to be sent, disconnect (the next
  // envelope connects again).
  const idleRelease = releaseWhenIdle({
    isIdle: () => !closed && connected && isIdle(),
    ownSockets: () => sockets.open(),
    release: () => {
      connected = false;
      return producer.disconnect().catch(() => undefined);
    },
  });

  return {
    send(envelope: Envelope) {
      try {
        const { message, categories } = toEnvelopeMessage(envelope, target);
        if (message.value.length > maxMessageBytes) {
          stats.dropped++;
          record('send_error', categories);
          logger.warn(
            `dropped an envelope of ${message.value.length} bytes: larger than maxMessageBytes (${maxMessageBytes})`,
          );
          return Promise.resolve({});
        }
        const pending: EnvelopeMessage = { message, categories };
        // During an outage nothing waits in memory: straight to disk keeps memory flat.
        if (closed || outage || queueBytes + message.value.length > maxQueueBytes) {
          spill([pending]);
        } else {
          queue.push(pending);
          queueBytes += message.value.length;
          schedulePump();
        }
      } catch (error) {
        stats.dropped++;
        logger.error(`could not serialize an envelope: ${(error as Error).message}`);
      }
      return Promise.resolve({});
    },
    async flush(timeoutMs) {
      const deadline = Date.now() + (timeoutMs && timeoutMs > 0 ? timeoutMs : 30_000);
      if (lingerTimer) {
        clearTimeout(lingerTimer);
        lingerTimer = undefined;
      }
      // The memory queue and the spool's backlog, until Kafka has acknowledged both or time is up.
      while (!closed && (queue.length > 0 || inFlight || pumping || backlog() > 0)) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        if (outage || !connected) {
          await withDeadline(probe(), left);
          if (outage || !connected) {
            await sleep(Math.min(250, Math.max(1, deadline - Date.now())));
            continue;
          }
        }
        const idle = new Promise<void>((resolve) => idleWaiters.push(resolve));
        void pump();
        await withDeadline(idle, deadline - Date.now());
      }
      spools.own?.sync();
      return queue.length === 0 && !inFlight && backlog() === 0;
    },
    async close(timeoutMs = 2000) {
      const flushed = await this.flush(timeoutMs);
      closed = true;
      idleRelease.stop();
      clearTimeout(lingerTimer);
      clearTimeout(retryTimer);
      spools.stop();
      // Anything still here goes to the spool rather than being lost.
      spill([...(inFlight ?? []), ...queue.splice(0)]);
      process.removeListener('exit', onExit);
      const left = backlog();
      if (left > 0) {
        logger.warn(
          `closing with ${left} envelope(s) in the spool at ${spools.ownDir}; ` +
            'the next process of this service that opens it, or a live one that adopts it, sends them to Kafka',
        );
      }
      await withDeadline(
        producer.disconnect().catch(() => undefined),
        1000,
      );
      // A disconnect that did not end in time (a broker that does not answer) leaves a connection
      // that would reopen once the broker answers and keep the app from exiting: ended here.
      sockets.shut();
      spools.close();
      return flushed;
    },
    addExitHook(hook) {
      exitHooks.add(hook);
      return () => exitHooks.delete(hook);
    },
    stats() {
      return {
        ...stats,
        queued: queue.length,
        inSpool: backlog(),
        spoolBytes: spools.bytes(),
        connected,
      };
    },
  };
}

/** Broker answers that mean this producer id's sequence state is lost for good. */
const PRODUCER_STATE_ERRORS = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'DUPLICATE_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
]);

function isProducerStateError(error: unknown): boolean {
  for (let e = error as { type?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.type === 'string' && PRODUCER_STATE_ERRORS.has(e.type)) return true;
    e = e.cause as typeof e;
  }
  return false;
}
