import { type Envelope, parseEnvelope, serializeEnvelope } from '@sentry/core';
import type { Spool, SpoolBatch } from './open-spool.js';

/** The store interface of Sentry's `makeOfflineTransport` (`@sentry/core`). */
export interface OfflineStore {
  push(envelope: Envelope): Promise<void>;
  unshift(envelope: Envelope): Promise<void>;
  shift(): Promise<Envelope | undefined>;
}

/**
 * A spool as the store of `makeOfflineTransport({ createStore: () => createOfflineStore(spool) })`.
 * `shift()` hands out the oldest envelope but acknowledges it only at the next `shift()`; an
 * `unshift()` in between (the send failed) puts it back in front. So an envelope is removed from
 * disk only after it was sent, even if the process dies in between.
 */
export function createOfflineStore(spool: Spool): OfflineStore {
  let pending: SpoolBatch | undefined;

  return {
    async push(envelope) {
      spool.append(toBytes(serializeEnvelope(envelope)));
    },
    async unshift(envelope) {
      if (pending) {
        // The envelope just shifted comes back: leave it unacknowledged, at the front.
        pending = undefined;
        spool.rewind();
      } else {
        spool.append(toBytes(serializeEnvelope(envelope)));
      }
    },
    async shift() {
      if (pending) spool.ack(pending);
      pending = undefined;
      for (;;) {
        const batch = spool.read(1);
        const [record] = batch.records;
        if (!record) return undefined;
        try {
          const envelope = parseEnvelope(new Uint8Array(record));
          pending = batch;
          return envelope;
        } catch {
          // Not an envelope (written by something else): acknowledge it and move on.
          spool.ack(batch);
        }
      }
    },
  };
}

function toBytes(serialized: string | Uint8Array): Uint8Array {
  return typeof serialized === 'string' ? Buffer.from(serialized, 'utf8') : serialized;
}
