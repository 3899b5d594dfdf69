const FIXED = Symbol.for('faultline.kafkajs.orphanConnectionsFixed');
const POOLS = Symbol.for('faultline.kafkajs.connectionPools');
/**
 * Past this many pools remembered, those collected are forgotten: an outage builds a seed broker's
 * pool per retry. A pool stays remembered only while something can still use it.
 */
const PRUNE_ABOVE = 64;

interface ConnectionPoolLike {
  isConnected(): boolean;
  destroy(): Promise<void>;
}

interface BrokerPoolLike {
  connectionPoolBuilder: { build(destination?: unknown): Promise<ConnectionPoolLike> };
  [POOLS]?: WeakRef<ConnectionPoolLike>[];
}

/**
 * KafkaJS 2.2.4 (its last release) can leave a connection open after `disconnect()`, and with it
 * the process: `disconnect()` closes the brokers its pool holds now, but a broker object the pool
 * dropped can still be in use. The consumer group keeps its coordinator's: when a broker restarts,
 * the pool drops that object (`removeBroker`, or a metadata refresh), and the group's heartbeats
 * reconnect it outside the pool. Seen in this repository's tests: a forwarder that stopped cleanly
 * after its broker was killed and restarted, still running minutes later on that one socket and
 * KafkaJS's 100 ms request-timeout interval.
 *
 * This makes a broker pool remember (weakly) every connection pool it builds, and close those
 * still connected once its own `disconnect()` is done. It applies only when the methods are the
 * ones it wraps (`connect`'s source names `seedBroker`, `disconnect`'s `this.brokers`), once per
 * class; a pool without a `connectionPoolBuilder` to wrap is left as KafkaJS made it. Pass the
 * class from `kafkajs/src/cluster/brokerPool.js`. Returns whether the class is fixed.
 */
export function fixKafkaJsOrphanConnections(brokerPool: unknown): boolean {
  const proto = (brokerPool as { prototype?: Record<string | symbol, unknown> } | undefined)?.prototype;
  if (!proto) return false;
  if (proto[FIXED]) return true;
  const { connect, disconnect } = proto;
  if (
    typeof connect !== 'function' ||
    typeof disconnect !== 'function' ||
    !connect.toString().includes('seedBroker') ||
    !disconnect.toString().includes('this.brokers')
  ) {
    return false;
  }
  proto.connect = function connectRemembering(this: BrokerPoolLike, ...args: unknown[]) {
    rememberPools(this);
    return connect.apply(this, args);
  };
  proto.disconnect = async function disconnectAll(this: BrokerPoolLike, ...args: unknown[]) {
    await disconnect.apply(this, args);
    // All it ever built, not only since the last connect(): a client that crashed and restarted
    // (KafkaJS disconnects, then connects again) may still hold a pool from before.
    await Promise.all(
      (this[POOLS] ?? [])
        .map((ref) => ref.deref())
        .filter((pool) => pool?.isConnected())
        .map((pool) => pool?.destroy().catch(() => undefined)),
    );
  };
  proto[FIXED] = true;
  return true;
}

/** Wraps this pool's builder (once) so each connection pool it builds is remembered. */
function rememberPools(brokerPool: BrokerPoolLike): void {
  if (brokerPool[POOLS]) return;
  brokerPool[POOLS] = [];
  const builder = brokerPool.connectionPoolBuilder;
  if (typeof builder?.build !== 'function') return;
  // A wrapper, so the builder object itself (the cluster holds it too) stays as KafkaJS made it.
  brokerPool.connectionPoolBuilder = {
    ...builder,
    build: async (destination?: unknown) => {
      const pool = await builder.build(destination);
      let pools = brokerPool[POOLS] ?? [];
      if (pools.length >= PRUNE_ABOVE) pools = pools.filter((ref) => ref.deref() !== undefined);
      pools.push(new WeakRef(pool));
      brokerPool[POOLS] = pools;
      return pool;
    },
  };
}
