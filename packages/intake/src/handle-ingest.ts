import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import {
  type EnvelopeItemBytes,
  type Logger,
  parseDsn,
  parseEnvelopeBytes,
  serializeEnvelopeBytes,
} from '@faultline/contract';
import type { Scrubber } from '@faultline/scrubbing';
import type { Cors } from './cors.js';
import type { DurableWriter } from './durable-writer.js';
import { envelopeRecord, observationsOf } from './envelope-record.js';
import type { IntakeMetrics } from './intake-metrics.js';
import type { OutcomeBook } from './outcome-book.js';
import type { ProjectKeys } from './project-keys.js';
import { type ProjectRateLimits, rateLimitHeader } from './project-rate-limits.js';
import { readBody } from './read-body.js';
import type { IntakeConfig } from './resolve-intake-config.js';
import { authFromRequest } from './sentry-auth.js';
import { countOf, type Drop, normalizeEventId, validateItems } from './validate-items.js';

export interface IngestDeps {
  config: IntakeConfig;
  keys: ProjectKeys;
  cors: Cors;
  limits: ProjectRateLimits;
  writer: DurableWriter;
  outcomes: OutcomeBook;
  metrics: IntakeMetrics;
  scrubber: Scrubber | undefined;
  logger: Logger;
  /** Request bytes held now, across requests (bounded by `maxInFlightBytes`). */
  load: { bytes: number };
}

/** What the spool's 503 asks an SDK to wait: Sentry's SDKs honour `Retry-After` on any answer. */
const FULL_RETRY_AFTER_SECONDS = 60;
/** Items the SDKs send about themselves: never rate limited, as in Sentry. */
const UNLIMITED = new Set(['client_report']);
const EVENT_TYPES = new Set(['event', 'transaction']);

/**
 * One `POST /api/<project>/envelope/` or `/store/`: the origin, room to make it durable, the body
 * (bounded, decompressed), authentication against the allow-list, the envelope and each item
 * (Relay's checks), the project's quotas, then Kafka or the spool, and only then the answer:
 * `200 {"id": ...}`, or Sentry's status with `{"detail": ...}`. Never throws.
 */
export async function handleIngest(
  req: IncomingMessage,
  res: ServerResponse,
  route: { projectId: string; kind: 'envelope' | 'store'; query: URLSearchParams },
  deps: IngestDeps,
): Promise<void> {
  const started = performance.now();
  const { figures, count } = deps.metrics;
  let cors: OutgoingHttpHeaders = {};
  const answer = (status: number, body: object, headers: OutgoingHttpHeaders = {}, outcome?: string) => {
    if (outcome) count(figures.envelopes, outcome);
    count(figures.requests, String(status));
    deps.metrics.observeLatency((performance.now() - started) / 1000);
    if (res.headersSent || res.destroyed) return;
    res
      .writeHead(status, { 'content-type': 'application/json', ...cors, ...headers })
      .end(JSON.stringify(body));
  };
  const refuse = (status: number, detail: string, outcome: string, headers: OutgoingHttpHeaders = {}) => {
    if (!req.complete) req.resume(); // drain what was not read, so the connection can carry the answer
    answer(
      status,
      { detail },
      status === 401 ? { 'www-authenticate': 'Sentry', ...headers } : headers,
      outcome,
    );
  };

  let held = 0;
  try {
    const origin = req.headers.origin;
    if (origin) {
      const allowed = deps.cors.headersFor(origin);
      if (!allowed) return refuse(403, 'the origin is not allowed', 'unauthorized');
      cors = allowed;
    }
    if (deps.load.bytes >= deps.config.maxInFlightBytes) {
      return refuse(503, 'the intake is busy', 'busy', { 'retry-after': '1' });
    }
    if (!deps.writer.canAccept()) {
      return refuse(503, 'the intake cannot store envelopes now', 'refused', {
        'retry-after': String(FULL_RETRY_AFTER_SECONDS),
      });
    }
    const body = await readBody(
      req,
      { maxWireBytes: deps.config.maxBodyBytes, maxBytes: deps.config.maxEnvelopeBytes },
      (bytes) => {
        held += bytes;
        deps.load.bytes += bytes;
      },
    );
    if (!body.ok) return refuse(body.status, body.detail, body.status === 413 ? 'too_large' : 'invalid');
    figures.bytesReceived += body.wireBytes;
    figures.bytesDecoded += body.body.length;

    let auth = authFromRequest(req.headers, route.query);
    let header: Record<string, unknown>;
    let items: EnvelopeItemBytes[];
    if (route.kind === 'envelope') {
      const parsed = parseEnvelopeBytes(body.body);
      if (!parsed.ok) return refuse(400, `invalid envelope: ${parsed.detail}`, 'invalid');
      header = parsed.header;
      items = parsed.items;
      if (!auth && typeof header.dsn === 'string') {
        const dsn = parseDsn(header.dsn);
        if (dsn) auth = { publicKey: dsn.publicKey, from: 'envelope' };
      }
    } else {
      const event = storeEvent(body.body);
      if (!event) return refuse(400, 'invalid event: the body is not a JSON object', 'invalid');
      header = { event_id: event.event_id, sent_at: new Date().toISOString() };
      items = [
        { header: { type: event.type === 'transaction' ? 'transaction' : 'event' }, payload: body.body },
      ];
    }
    if (!auth) return refuse(401, 'missing authorization information', 'unauthorized');
    const check = deps.keys.check(auth.publicKey, route.projectId);
    if (!check.ok) return refuse(check.status, check.detail, 'unauthorized');
    const key = check.key;
    const headerId = normalizeEventId(header.event_id);
    if (headerId === null) return refuse(400, 'invalid event id in the envelope header', 'invalid');
    if (headerId) header.event_id = headerId;

    const now = Date.now();
    const validated = validateItems(
      items,
      { sizes: deps.config.sizeLimits, maxBreadcrumbs: deps.config.maxBreadcrumbs },
      deps.scrubber,
      now,
      headerId,
    );
    figures.trimmedBreadcrumbs += validated.trimmedBreadcrumbs;
    const { kept, drops, limited } = applyQuotas(validated.items, route.projectId, now, deps.limits);
    drops.push(...validated.drops);
    for (const drop of drops) count(figures.items, `${drop.reason}:${drop.category}`, drop.quantity);
    deps.outcomes.record(key, drops);
    const eventId = validated.eventId ?? headerId ?? undefined;
    const limitHeaders: OutgoingHttpHeaders =
      limited.size > 0
        ? {
            'x-sentry-rate-limits': rateLimitHeader(deps.limits.retryAfter(now), [...limited]),
            'retry-after': String(deps.limits.retryAfter(now)),
          }
        : {};
    if (!header.event_id && eventId) header.event_id = eventId;
    if (limited.size > 0 && kept.every((item) => UNLIMITED.has(item.header.type))) {
      // Nothing but the SDK's own client reports is left: store those, refuse the rest.
      if (kept.length > 0) await deps.writer.write(recordOf(kept));
      return refuse(429, 'event rejected due to rate limit', 'rate_limited', limitHeaders);
    }
    if (kept.length === 0) {
      if (route.kind === 'store') return refuse(400, 'invalid event', 'invalid');
      return answer(200, {}, {}, 'empty');
    }
    const where = await deps.writer.write(recordOf(kept));
    if (where === 'too_large') return refuse(413, 'the envelope is larger than the topic takes', 'too_large');
    if (where === 'refused') {
      return refuse(503, 'the intake cannot store envelopes now', 'refused', {
        'retry-after': String(FULL_RETRY_AFTER_SECONDS),
      });
    }
    for (const item of kept) {
      const { category, quantity } = countOf(item);
      count(figures.items, `accepted:${category}`, quantity);
    }
    answer(200, eventId ? { id: eventId } : {}, limitHeaders, where);

    function recordOf(kept: EnvelopeItemBytes[]) {
      // The message carries the upstream DSN: where the forwarder delivers, and what the alerts group by.
      header.dsn = key.dsn;
      const trace = header.trace as { trace_id?: unknown } | undefined;
      return envelopeRecord(serializeEnvelopeBytes(header, kept), {
        dsn: key.dsn,
        projectId: key.parts.projectId,
        traceId: typeof trace?.trace_id === 'string' ? trace.trace_id : undefined,
        eventId,
        types: kept.map((item) => item.header.type),
        observations: observationsOf(key.parts.projectId, kept, validated.parsed),
      });
    }
  } catch (error) {
    deps.logger.error('an envelope request failed inside the intake', { error: (error as Error).message });
    refuse(500, 'internal error', 'invalid');
  } finally {
    deps.load.bytes -= held;
  }
}

/**
 * Takes each item from its project's quota. An event or transaction over its quota takes its
 * envelope's attachments with it (they belong to it), as Relay does.
 */
function applyQuotas(
  items: EnvelopeItemBytes[],
  projectId: string,
  now: number,
  limits: ProjectRateLimits,
): { kept: EnvelopeItemBytes[]; drops: Drop[]; limited: Set<string> } {
  const kept: EnvelopeItemBytes[] = [];
  const drops: Drop[] = [];
  const limited = new Set<string>();
  const take = (item: EnvelopeItemBytes) => {
    const { category, quantity } = countOf(item);
    if (limits.admit(projectId, category, quantity, now)) return true;
    drops.push({ reason: 'rate_limited', category, quantity });
    limited.add(category);
    return false;
  };
  // Events first: whether one is over its quota decides its attachments.
  const refusedEvents = new Set(items.filter((i) => EVENT_TYPES.has(i.header.type) && !take(i)));
  for (const item of items) {
    const type = item.header.type;
    if (EVENT_TYPES.has(type)) {
      if (!refusedEvents.has(item)) kept.push(item);
    } else if (UNLIMITED.has(type)) {
      kept.push(item);
    } else if (type === 'attachment' && refusedEvents.size > 0) {
      const { category, quantity } = countOf(item);
      drops.push({ reason: 'rate_limited', category, quantity });
      limited.add(category);
    } else if (take(item)) {
      kept.push(item);
    }
  }
  return { kept, drops, limited };
}

function storeEvent(body: Buffer): Record<string, unknown> | undefined {
  try {
    const event = JSON.parse(body.toString('utf8'));
    return event && typeof event === 'object' && !Array.isArray(event) ? event : undefined;
  } catch {
    return undefined;
  }
}
