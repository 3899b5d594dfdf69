import type { Logger } from '@faultline/contract';
import type { DurableWriter } from './durable-writer.js';
import { envelopeRecord } from './envelope-record.js';
import type { IntakeFigures } from './intake-metrics.js';
import type { ProjectKey } from './project-keys.js';
import type { Drop, DropReason } from './validate-items.js';

/**
 * Client-report reasons for what the intake leaves out. Sentry's ingest takes a fixed set of
 * reasons in client reports: a rate limit is `ratelimit_backoff` (what the SDK itself counts when
 * it backs off); an item too large, malformed or unscrubbable is `send_error` (it was sent and
 * never stored).
 */
const REPORTED_AS: Record<DropReason, string> = {
  rate_limited: 'ratelimit_backoff',
  too_large: 'send_error',
  invalid: 'send_error',
  scrub_failed: 'send_error',
};

export interface OutcomeBook {
  record(key: ProjectKey, drops: readonly Drop[]): void;
  /** Writes what is counted to the topic now. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * What the intake refuses reaches Sentry's stats: counts per DSN, reason and category, written to
 * the topic every `intervalMs` as a `client_report` envelope for that DSN (the forwarder delivers
 * it like any other), as Relay reports outcomes for what it drops. Counts only: bounded by
 * DSNs x reasons x categories.
 */
export function createOutcomeBook(deps: {
  writer: DurableWriter;
  intervalMs: number;
  figures: IntakeFigures;
  logger: Logger;
}): OutcomeBook {
  const pending = new Map<string, { key: ProjectKey; totals: Map<string, number> }>();
  const timer = setInterval(() => void flush(), deps.intervalMs);
  timer.unref();

  async function flush(): Promise<void> {
    const batches = [...pending.values()];
    pending.clear();
    await Promise.all(
      batches.map(async ({ key, totals }) => {
        const discarded = [...totals].map(([id, quantity]) => {
          const [reason, category] = id.split(':');
          return { reason, category, quantity };
        });
        const value = Buffer.from(
          `${JSON.stringify({ sent_at: new Date().toISOString(), dsn: key.dsn })}\n${JSON.stringify({
            type: 'client_report',
          })}\n${JSON.stringify({ timestamp: Date.now() / 1000, discarded_events: discarded })}\n`,
        );
        const where = await deps.writer.write(
          envelopeRecord(value, { dsn: key.dsn, projectId: key.parts.projectId, types: ['client_report'] }),
        );
        if (where === 'refused')
          deps.logger.warn('a client report could not be made durable; its counts are lost');
        else deps.figures.outcomesReported++;
      }),
    );
  }

  return {
    record(key, drops) {
      if (drops.length === 0) return;
      let entry = pending.get(key.dsn);
      if (!entry) {
        entry = { key, totals: new Map() };
        pending.set(key.dsn, entry);
      }
      for (const drop of drops) {
        const id = `${REPORTED_AS[drop.reason]}:${drop.category}`;
        entry.totals.set(id, (entry.totals.get(id) ?? 0) + drop.quantity);
      }
    },
    flush,
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}
