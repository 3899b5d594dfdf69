import { type Logger, sleep, withDeadline } from '@faultline/contract';
import type { Spool } from '@faultline/spool';
import type { Message, Producer } from 'kafkajs';
import { type EnvelopeRecord, recordFromBytes } from './envelope-record.js';

/**
 * Where an envelope was made durable; `refused` when neither Kafka nor the spool could take it;
 * `too_large` when the topic refuses its size (its `max.message.bytes`): spooling it would not help.
 */
export type Durability = 'kafka' | 'spool' | 'refused' | 'too_large';

export interface DurableWriterOptions {
  producer: Producer;
  topic: string;
  spool: Spool;
  logger: Logger;
  /** How long a batch waits for Kafka's acknowledgement before its envelopes go to the spool. */
  kafkaTimeoutMs: number;
  /** How long an envelope waits for others to share its produce request. */
  lingerMs: number;
  /** Bytes in one produce request (under the broker's `message.max.bytes`, since a batch may land on one partition). */
  maxBatchBytes: number;
  /** Produce requests in flight at once. */
  maxInFlight: number;
  /** Told of envelopes read back from the spool that the topic refuses for their size, and dropped. */
  onTooLarge?: (count: number) => void;
}

export interface DurableWriter {
  /**
   * Resolves once the envelope is durable: acknowledged by every in-sync replica (`acks: -1`),
   * or, while Kafka is away, appended to the spool (in the OS page cache: it survives the
   * process being killed). `refused` only when Kafka is away and the spool is full. Never rejects.
   */
  write(record: EnvelopeRecord): Promise<Durability>;
  /** Whether a write now can be made durable: Kafka up, or room in the spool. */
  canAccept(): boolean;
  /** Whether Kafka acknowledged the last produce request, and the spool is empty. */
  readonly kafkaUp: boolean;
  /** Connects; if Kafka is away, starts in the spool and keeps trying. Never rejects. */
  start(): Promise<void>;
  /** Sends what is batched (or spools it), stops the drain loop, disconnects. */
  stop(): Promise<void>;
}

interface Pending {
  record: EnvelopeRecord;
  resolve: (where: Durability) => void;
}

const DRAIN_BATCH = 500;

/**
 * The intake's path to durability. Envelopes are batched for `lingerMs` into produce requests
 * with `acks: -1`. A request that fails or outlasts `kafkaTimeoutMs` puts Kafka "down": its
 * envelopes, and every later one, go to the spool, and a drain loop sends the spool back to Kafka
 * oldest first until it is empty; then Kafka is "up" again. A request that timed out may still
 * land later: delivery is at least once (the forwarder drops duplicates by event id).
 */
export function createDurableWriter(options: DurableWriterOptions): DurableWriter {
  const { producer, topic, spool, logger } = options;
  let up = false;
  let stopping = false;
  let pending: Pending[] = [];
  let pendingBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight = 0;
  const sending = new Set<Promise<void>>();
  let draining: Promise<void> | undefined;
  let downSince = 0;
  let connected = false;
  /** Whether this outage was logged (once per outage: a warning, then debug lines). */
  let warned = false;
  const stopped = new AbortController();

  const produce = (messages: Message[]) =>
    new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(
        () => reject(new Error(`no acknowledgement within ${options.kafkaTimeoutMs} ms`)),
        options.kafkaTimeoutMs,
      );
      producer.send({ topic, acks: -1, messages }).then(
        () => {
          clearTimeout(timeout);
          resolve();
        },
        (error: Error) => {
          clearTimeout(timeout);
          reject(error);
        },
      );
    });

  /** Set when the spool refuses an append, cleared when the drain frees room. */
  let spoolFull = false;
  const append = (record: EnvelopeRecord): Durability => {
    if (spool.append(record.value)) return 'spool';
    spoolFull = true;
    return 'refused';
  };
  function toSpool(batch: Pending[]): void {
    for (const { record, resolve } of batch) resolve(append(record));
  }

  /**
   * Kafka failed a request: envelopes go to the spool until the drain has sent it all. Call it
   * after spooling the failed request's envelopes: the drain's first pass runs in this call, and a
   * spool it finds empty is taken as Kafka being back.
   */
  function markDown(error: Error): void {
    if (up || downSince === 0) {
      downSince = Date.now();
      logger.warn('Kafka is not taking envelopes; they go to the spool until it is back', {
        reason: error.message,
      });
      warned = true;
    }
    up = false;
    startDrain();
  }

  function flush(): void {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (pending.length === 0) return;
    if (!up) {
      const batch = pending;
      pending = [];
      pendingBytes = 0;
      toSpool(batch);
      return;
    }
    if (inFlight >= options.maxInFlight) return; // sent when a request in flight completes
    const batch = pending;
    pending = [];
    pendingBytes = 0;
    inFlight++;
    const done = produce(batch.map((p) => p.record))
      .then(
        () => {
          for (const p of batch) p.resolve('kafka');
        },
        (error: Error) => {
          if (isTooLarge(error)) return oneByOne(batch);
          // Spooled first: the drain markDown starts finds them, and sends them to learn when Kafka
          // is back. Found empty, it would take Kafka as up at once (see markDown).
          toSpool(batch);
          markDown(error);
        },
      )
      .finally(() => {
        inFlight--;
        sending.delete(done);
        if (pending.length > 0 && !timer) flush();
      });
    sending.add(done);
  }

  /**
   * A request the topic refused for its size: each envelope again on its own, so only the one too
   * large for the topic is answered so (with 413) and the others land.
   */
  async function oneByOne(batch: Pending[]): Promise<void> {
    for (const p of batch) {
      try {
        await produce([p.record]);
        p.resolve('kafka');
      } catch (error) {
        if (isTooLarge(error as Error)) p.resolve('too_large');
        else {
          p.resolve(append(p.record));
          markDown(error as Error);
        }
      }
    }
  }

  async function drain(): Promise<void> {
    let delay = 200;
    // After the topic refused a batch for its size, records go one at a time until that one is found.
    let readCount = DRAIN_BATCH;
    while (!stopping) {
      const batch = spool.read(readCount, options.maxBatchBytes);
      try {
        if (!connected) {
          await producer.connect();
          connected = true;
        }
        if (batch.records.length > 0) {
          await produce(batch.records.map(recordFromBytes));
          spool.ack(batch);
          spoolFull = false;
          readCount = DRAIN_BATCH;
        }
        delay = 200;
        if (spool.stats().records === 0) {
          up = true;
          logger.info('Kafka takes envelopes again; the spool is empty', {
            downForMs: Date.now() - downSince,
          });
          downSince = 0;
          warned = false;
          return;
        }
      } catch (error) {
        if (isTooLarge(error as Error)) {
          if (batch.records.length > 1) {
            spool.rewind();
            readCount = 1;
          } else {
            // Spooled before the topic's limit was known (or lowered): it can never be sent.
            spool.ack(batch);
            options.onTooLarge?.(batch.records.length);
            logger.error('an envelope from the spool is larger than the topic takes; dropped', {
              bytes: batch.records[0]?.length,
            });
          }
          continue;
        }
        spool.rewind();
        if (!warned) {
          logger.warn('Kafka is away; envelopes wait in the spool', { reason: (error as Error).message });
          warned = true;
        } else logger.debug('Kafka still away', { reason: (error as Error).message });
        await sleep(delay, stopped.signal);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  function startDrain(): void {
    if (draining || stopping) return;
    draining = drain().finally(() => {
      draining = undefined;
    });
  }

  return {
    get kafkaUp() {
      return up;
    },
    // Once the spool refused an envelope, refuse at once (before reading bodies) until it drains.
    canAccept: () => up || !spoolFull,
    write(record) {
      if (stopping || (!up && pending.length === 0 && inFlight === 0)) {
        return Promise.resolve(append(record));
      }
      return new Promise<Durability>((resolve) => {
        pending.push({ record, resolve });
        pendingBytes += record.value.length;
        if (pendingBytes >= options.maxBatchBytes) flush();
        else timer ??= setTimeout(flush, options.lingerMs);
      });
    },
    async start() {
      downSince = Date.now();
      if (spool.stats().records > 0) {
        logger.info('the spool holds envelopes from an earlier run; sending them to Kafka first', {
          envelopes: spool.stats().records,
        });
      }
      startDrain();
      // Answer requests at once either way: into the spool until Kafka is confirmed.
    },
    async stop() {
      flush();
      stopping = true;
      stopped.abort();
      await Promise.allSettled([...sending]);
      // Whatever is still batched goes to the spool: it is sent at the next start.
      const rest = pending;
      pending = [];
      toSpool(rest);
      await draining;
      spool.sync();
      // Bounded: KafkaJS waits for its requests in flight (here only those already given up on,
      // their envelopes in the spool), and a broker gone silent answers none while it stays so.
      await withDeadline(
        producer.disconnect().catch(() => undefined),
        1000,
      );
    },
  };
}

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** Whether Kafka refused a request for its size (KafkaJS wraps the protocol error in `cause`). */
export function isTooLarge(error: unknown): boolean {
  for (
    let e = error as { type?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (typeof e.type === 'string' && TOO_LARGE.has(e.type)) return true;
    if (
      typeof e.message === 'string' &&
      /larger than the max message size|batch larger than the configured/.test(e.message)
    )
      return true;
    e = e.cause as typeof e;
  }
  return false;
}
