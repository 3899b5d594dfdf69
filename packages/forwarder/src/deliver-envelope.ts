import type { SizeLimits } from '@faultline/contract';
import { backoffDelay, type DsnParts, envelopeEndpoint, MESSAGE_HEADERS, sleep } from '@faultline/contract';
import type { Scrubber } from '@faultline/scrubbing';
import { identity } from './allow-list.js';
import { classifyResponse } from './classify-response.js';
import type { DeadLetterer, DeadLetterReason, MessageOrigin } from './dead-letter.js';
import { type InspectionOk, inspectEnvelope, withoutCategories } from './inspect-envelope.js';
import type { Logger } from './logger.js';
import type { ForwarderMetrics } from './metrics.js';
import type { OutcomeReporter } from './outcome-reporter.js';
import { trimBreadcrumbs } from './policies.js';
import type { Poster, PostResult } from './post-envelope.js';
import type { RateLimitBook } from './rate-limit-book.js';
import type { RecentIds } from './recent-ids.js';
import { scrubInspection } from './scrub-inspection.js';
import type { UpstreamGate } from './upstream-gate.js';

export interface DeliveryDeps {
  limits: SizeLimits;
  isAllowed: (dsn: DsnParts) => boolean;
  upstream: URL | undefined;
  delivered: RecentIds;
  overProjectLimit: (projectId: string, categories: readonly string[]) => boolean;
  maxBreadcrumbs: number | undefined;
  /** Scrubs envelopes before delivery (`--scrub`); none by default. */
  scrubber: Scrubber | undefined;
  rateLimits: RateLimitBook;
  /** A rate limit longer than this drops the limited items (counted) instead of holding them. */
  maxRateLimitWaitMs: number;
  gate: UpstreamGate;
  poster: Poster;
  deadLetter: DeadLetterer;
  outcomes: OutcomeReporter;
  backoff: { initialMs: number; maxMs: number };
  figures: ForwarderMetrics;
  observeLatency: (seconds: number) => void;
  logger: Logger;
  /** Aborts requests on the wire: the forwarder's stop, once their grace is over. */
  requestSignal?: AbortSignal;
}

/**
 * The envelope's place in the in-flight window: parked while it waits out a retry or a rate
 * limit (it sends nothing then, so the next envelope may take its place), resumed before it sends.
 */
export interface DeliverySlot {
  park(): void;
  resume(): Promise<void>;
}

const UNPARKED: DeliverySlot = { park() {}, resume: () => Promise.resolve() };

/**
 * Takes one message to a final state: delivered, dead-lettered, or dropped by policy (counted
 * and reported upstream). Resolves true then, and false only when `signal` aborted first (the
 * forwarder is stopping): the message is then left uncommitted, to be delivered after restart.
 * It never rejects.
 */
export type DeliverEnvelope = (
  origin: MessageOrigin,
  signal: AbortSignal,
  slot?: DeliverySlot,
) => Promise<boolean>;

export function createEnvelopeDelivery(deps: DeliveryDeps): DeliverEnvelope {
  const { figures, logger } = deps;
  // DSNs come from a small cache (inspect-envelope), so their endpoints can be kept beside them.
  const endpoints = new WeakMap<DsnParts, { url: URL; upstream: string; dsnKey: string }>();
  const endpointOf = (dsn: DsnParts) => {
    let endpoint = endpoints.get(dsn);
    if (!endpoint) {
      const url = envelopeEndpoint(dsn, deps.upstream);
      endpoint = { url, upstream: url.origin, dsnKey: identity(dsn) };
      endpoints.set(dsn, endpoint);
    }
    return endpoint;
  };

  /** Kafka may be away: a dead letter is retried until it is written or the forwarder stops. */
  async function deadLetter(
    origin: MessageOrigin,
    signal: AbortSignal,
    reason: DeadLetterReason,
    detail: string,
    status?: number,
  ): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await deps.deadLetter(origin, reason, detail, status);
        return true;
      } catch (error) {
        logger.warn('dead letter not written yet; retrying', { error: (error as Error).message });
        if (!(await sleep(backoffDelay(attempt, deps.backoff), signal))) return false;
      }
    }
  }

  /** Waits `ms` with the slot parked; false when the forwarder stops first. */
  async function wait(ms: number, signal: AbortSignal, slot: DeliverySlot): Promise<boolean> {
    slot.park();
    const waited = await sleep(ms, signal);
    if (!waited) return false;
    await slot.resume();
    return true;
  }

  /** The bytes to send for this inspection: scrubbed (`--scrub`), breadcrumbs trimmed; none left: undefined. */
  function prepare(current: InspectionOk, dsn: DsnParts): Buffer | undefined {
    let scrubbed = current;
    if (deps.scrubber) {
      const scrubbing = scrubInspection(current, deps.scrubber);
      scrubbed = scrubbing.inspection;
      if (scrubbing.dropped.length > 0) {
        deps.outcomes.record(
          dsn,
          'internal_sdk_error',
          scrubbing.dropped.map((category) => ({ category, quantity: 1 })),
        );
      }
    }
    if (scrubbed.items.length === 0) return undefined;
    if (deps.maxBreadcrumbs === undefined) return scrubbed.body;
    const trimming = trimBreadcrumbs(scrubbed, deps.maxBreadcrumbs);
    figures.trimmedBreadcrumbs += trimming.trimmed;
    return trimming.body;
  }

  /**
   * Any throw while handling one message (input no check foresaw, or a bug) ends with that
   * message dead-lettered as `internal`, so its offset finishes and the partition keeps moving.
   */
  return function deliver(origin, signal, slot = UNPARKED) {
    return deliverOnce(origin, signal, slot).catch((error) => {
      const detail = `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
      logger.error('handling an envelope threw; dead-lettering it', {
        error: detail,
        partition: origin.partition,
        offset: origin.message.offset,
      });
      return deadLetter(origin, signal, 'internal', detail);
    });
  };

  async function deliverOnce(
    origin: MessageOrigin,
    signal: AbortSignal,
    slot: DeliverySlot,
  ): Promise<boolean> {
    const started = Date.now();
    const { message } = origin;
    const value = message.value ?? Buffer.alloc(0);
    const schema = message.headers?.[MESSAGE_HEADERS.schema]?.toString();
    const inspection = inspectEnvelope(value, deps.limits, schema);
    if (inspection.kind === 'dead') {
      // The ingest never sees it: tell Sentry, but only at a DSN we may call.
      if (inspection.dsn && inspection.counts && deps.isAllowed(inspection.dsn)) {
        deps.outcomes.record(inspection.dsn, 'send_error', inspection.counts);
      }
      return deadLetter(origin, signal, inspection.reason, inspection.detail);
    }
    const { dsn, eventId, categories } = inspection;
    if (!deps.isAllowed(dsn)) {
      return deadLetter(
        origin,
        signal,
        'dsn_not_allowed',
        `DSN for project ${dsn.projectId} at ${dsn.host} is not on the allow-list`,
      );
    }
    if (inspection.removed.length > 0) {
      const n = inspection.removed.length;
      figures.dropped.item_too_large = (figures.dropped.item_too_large ?? 0) + n;
      deps.outcomes.record(dsn, 'send_error', inspection.removed);
      if (inspection.items.length === 0) return true;
    }
    const dedupeKey = eventId ? `${dsn.projectId}:${eventId}` : undefined;
    if (dedupeKey && deps.delivered.has(dedupeKey)) {
      figures.duplicates++;
      return true;
    }
    if (deps.overProjectLimit(dsn.projectId, categories)) {
      figures.dropped.max_events_per_minute = (figures.dropped.max_events_per_minute ?? 0) + 1;
      deps.outcomes.record(dsn, 'ratelimit_backoff', inspection.counts());
      return true;
    }
    const { url, upstream, dsnKey } = endpointOf(dsn);
    let current: InspectionOk = inspection;
    let body: Buffer | undefined;

    for (let attempt = 0; ; ) {
      // A limit longer than the hold bound (a quota spent for the day, a category the server does
      // not take) would hold the window for that long: its items go, counted, the rest is sent.
      const long = deps.rateLimits.limitedLongerThan(dsnKey, current.categories, deps.maxRateLimitWaitMs);
      if (long.size > 0) {
        const without = withoutCategories(current, long);
        figures.dropped.rate_limited = (figures.dropped.rate_limited ?? 0) + 1;
        deps.outcomes.record(dsn, 'ratelimit_backoff', without.removed);
        if (without.inspection.items.length === 0) return true;
        current = without.inspection;
        body = undefined;
      }
      body ??= prepare(current, dsn);
      if (!body) return true;
      const categories = current.categories;
      const limitedFor = deps.rateLimits.waitFor(dsnKey, categories);
      if (limitedFor > 0) {
        figures.waitingForRateLimit++;
        const waited = await wait(limitedFor, signal, slot);
        figures.waitingForRateLimit--;
        if (!waited) return false;
        continue;
      }
      // Waiting here while the upstream is closed costs the envelope no attempt: the gate's
      // probes find out when it is back, and then every waiting envelope goes at once.
      const permit = await deps.gate.acquire(upstream, signal);
      if (!permit) return false;
      // A 429 may have arrived while this one queued for the upstream.
      if (deps.rateLimits.waitFor(dsnKey, categories) > 0) {
        deps.gate.release(permit, 'unused');
        continue;
      }
      let result: PostResult | undefined;
      try {
        result = await deps.poster.post(url, body, dsn.publicKey, deps.requestSignal);
      } catch (error) {
        if (deps.requestSignal?.aborted) {
          // Cut short by the stop, not by the upstream: left uncommitted, delivered after restart.
          deps.gate.release(permit, 'unused');
          return false;
        }
        logger.debug('delivery failed; retrying', {
          error: (error as Error).message,
          project: dsn.projectId,
          attempt,
        });
      }
      if (result) deps.rateLimits.update(dsnKey, result);
      const answer = classifyResponse(result?.status);
      deps.gate.release(
        permit,
        answer === 'delivered' ? 'success' : answer === 'retry' ? 'failure' : 'answered',
      );
      switch (answer) {
        case 'delivered':
          figures.delivered++;
          deps.observeLatency((Date.now() - started) / 1000);
          if (dedupeKey) deps.delivered.add(dedupeKey);
          return true;
        case 'rate_limited':
          figures.rateLimited++;
          continue; // waits for the limit just recorded, then sends the same envelope again
        case 'rejected':
          return deadLetter(
            origin,
            signal,
            'rejected',
            `the ingest answered ${result?.status}`,
            result?.status,
          );
        case 'retry':
          figures.retried++;
          if (!(await wait(backoffDelay(attempt++, deps.backoff), signal, slot))) return false;
      }
    }
  }
}
