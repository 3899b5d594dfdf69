import { type StallWatch, watchStall } from './watch-stall.js';

/** What the watch needs of a KafkaJS consumer: its event names and `on`. */
export interface ConsumerEventsLike {
  events: { FETCH_START: string; HEARTBEAT: string; GROUP_JOIN: string };
  on(eventName: string, listener: (event: unknown) => void): unknown;
}

export interface ConsumerStallWatch extends Pick<StallWatch, 'start' | 'stop'> {
  /** Wraps the consumer's batch handler: the time a batch takes never counts as a stall. */
  eachBatch<P>(handler: (payload: P) => Promise<void>): (payload: P) => Promise<void>;
}

/**
 * A stall watch (see `watchStall`) fed by a KafkaJS consumer: a fetch starting, a heartbeat and a
 * join are signs of life, and so are the `alsoAlive` events the owner names (the forwarder names a
 * crash KafkaJS restarts from: it is still trying). It counts from `start()`, since an owner may
 * wait for its topic for longer than the bound before it consumes; a batch running by then still
 * counts as busy.
 */
export function watchConsumerStall(
  consumer: ConsumerEventsLike,
  options: { onStall: (idleMs: number) => void; stallAfterMs?: number; alsoAlive?: readonly string[] },
): ConsumerStallWatch {
  const watch = watchStall({ ...options, start: false });
  const { FETCH_START, HEARTBEAT, GROUP_JOIN } = consumer.events;
  for (const event of [FETCH_START, HEARTBEAT, GROUP_JOIN, ...(options.alsoAlive ?? [])]) {
    consumer.on(event, () => watch.alive());
  }
  return {
    eachBatch: (handler) => (payload) => watch.busy(() => handler(payload)),
    start: watch.start,
    stop: watch.stop,
  };
}
