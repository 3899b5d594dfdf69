import { type DsnParts, envelopeEndpoint, formatDsn, redactDsn } from '@faultline/contract';
import type { ItemCount } from './inspect-envelope.js';
import type { Logger } from './logger.js';
import type { ForwarderMetrics } from './metrics.js';
import type { Poster } from './post-envelope.js';

/** Client-report reasons the forwarder uses (Sentry's discard reasons). */
export type OutcomeReason = 'ratelimit_backoff' | 'send_error' | 'internal_sdk_error';

export interface OutcomeReporter {
  /** Counts drops for a DSN; they are sent with the next batch. */
  record(dsn: DsnParts, reason: OutcomeReason, counts: readonly ItemCount[]): void;
  /** Sends every pending batch now. */
  flush(): Promise<void>;
  /**
   * Sends every pending batch, for `waitMs` at most: then the requests still on the wire are cut,
   * and the counts not sent are dropped with one warning. Why bounded: an ingest that never
   * answers would hold the stop for the post's timeout (30 s), once per DSN.
   */
  stop(waitMs: number): Promise<void>;
}

interface Pending {
  dsn: DsnParts;
  totals: Map<string, number>;
}

/**
 * What the forwarder drops, told to the upstream as `client_report` items for the DSN the
 * envelope belonged to, batched per DSN every `intervalMs`: what Relay does with
 * `emit_outcomes: as_client_reports`, so Sentry's stats learn of drops made between the SDK
 * and the ingest. A batch that cannot be sent is kept and merged into the next (counts only:
 * bounded by DSNs x reasons x categories).
 */
export function createOutcomeReporter(deps: {
  poster: Poster;
  upstream: URL | undefined;
  intervalMs: number;
  figures: ForwarderMetrics;
  logger: Logger;
}): OutcomeReporter {
  const pending = new Map<string, Pending>();
  let sending: Promise<void> = Promise.resolve();
  /** Aborted at stop()'s deadline: every post takes it, the periodic one on the wire included. */
  const cut = new AbortController();
  const timer = setInterval(() => void flush(), deps.intervalMs);
  timer.unref();

  function flush(): Promise<void> {
    sending = sending.then(async () => {
      const batches = [...pending.values()];
      pending.clear();
      for (const batch of batches) await send(batch);
    });
    return sending;
  }

  async function send(batch: Pending): Promise<void> {
    const discarded = [...batch.totals].map(([key, quantity]) => {
      const [reason, category] = key.split(':');
      return { reason, category, quantity };
    });
    const body = Buffer.from(
      `${JSON.stringify({ sent_at: new Date().toISOString(), dsn: formatDsn(batch.dsn) })}\n${JSON.stringify({
        type: 'client_report',
      })}\n${JSON.stringify({ timestamp: Date.now() / 1000, discarded_events: discarded })}\n`,
    );
    try {
      const { status } = await deps.poster.post(
        envelopeEndpoint(batch.dsn, deps.upstream),
        body,
        batch.dsn.publicKey,
        cut.signal,
      );
      if (status >= 200 && status < 300) {
        deps.figures.outcomesSent++;
        return;
      }
      if (status >= 400 && status < 500 && status !== 429 && status !== 408) {
        deps.logger.warn('client report refused by the ingest; its counts are dropped', {
          status,
          dsn: redactDsn(batch.dsn),
        });
        return;
      }
      throw new Error(`the ingest answered ${status}`);
    } catch (error) {
      deps.logger.debug('client report not sent; kept for the next batch', {
        error: (error as Error).message,
        dsn: redactDsn(batch.dsn),
      });
      for (const [key, quantity] of batch.totals) add(batch.dsn, key, quantity);
    }
  }

  function add(dsn: DsnParts, key: string, quantity: number) {
    const id = formatDsn(dsn);
    let batch = pending.get(id);
    if (!batch) {
      batch = { dsn, totals: new Map() };
      pending.set(id, batch);
    }
    batch.totals.set(key, (batch.totals.get(key) ?? 0) + quantity);
  }

  return {
    record(dsn, reason, counts) {
      for (const { category, quantity } of counts) add(dsn, `${reason}:${category}`, quantity);
    },
    flush,
    async stop(waitMs) {
      clearInterval(timer);
      const deadline = setTimeout(() => cut.abort(), waitMs);
      try {
        await flush();
      } finally {
        clearTimeout(deadline);
      }
      // What a failed or cut post put back: nothing will send it now.
      let unsent = 0;
      for (const batch of pending.values()) for (const quantity of batch.totals.values()) unsent += quantity;
      pending.clear();
      if (unsent > 0) {
        deps.logger.warn(
          'client reports not sent by the stop: the ingest did not take them; their counts are dropped',
          {
            outcomes: unsent,
            waitedMs: waitMs,
          },
        );
      }
    },
  };
}
