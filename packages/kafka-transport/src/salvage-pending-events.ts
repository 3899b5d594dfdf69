import { trimOldest } from '@faultline/contract';
import type { Client, Envelope, ErrorEvent, Event, EventHint, EventProcessor, Scope } from '@sentry/core';
import {
  applyScopeDataToEvent,
  getCurrentScope,
  getGlobalScope,
  getIsolationScope,
  mergeScopeData,
} from '@sentry/core';
import type { KafkaTransport } from './make-kafka-transport.js';

export interface SalvageOptions {
  /** Events captured longer ago than this are assumed dropped by the SDK, not pending. @default 5000 ms */
  maxAgeMs?: number;
  /** Pending events remembered at most. @default 1000 */
  maxEvents?: number;
  /** Applied to each salvaged envelope before it is spooled (Faultline scrubs it here). @default none */
  transformEnvelope?: (envelope: Envelope) => Envelope;
  /**
   * The scopes an event is captured in, outermost first. Pass `@sentry/node`'s getters: Sentry
   * keys its scopes by SDK version, so the getters of another `@sentry/core` copy read other scopes.
   * @default this package's `@sentry/core` getters (global, isolation, current)
   */
  scopes?: () => Scope[];
}

export interface SalvageStats {
  /** Events written to the spool at exit. */
  salvaged: number;
  /** Events an event processor or `beforeSend` dropped when re-run at exit (or that only an async one could decide). */
  dropped: number;
}

export interface Salvage {
  /** Forget an event a policy decided to drop, so it is not salvaged at exit. */
  forget(eventId: string | undefined): void;
  /** Events captured and not yet handed to the transport. */
  pending(): number;
  stats(): SalvageStats;
  stop(): void;
}

/**
 * Keeps errors that `process.exit()` would otherwise lose. The SDK processes a captured event
 * asynchronously (source context is read from disk), so an app that captures and exits at once
 * ends before the event reaches any transport. This remembers each error event from the moment
 * it is captured until the transport gets it; at exit, those still pending are written to the
 * spool synchronously, with the release, environment and the scope data (tags, contexts, user,
 * fingerprint, breadcrumbs) of the scopes it was captured in, as the SDK would have added them
 * (but without the asynchronous enrichments, such as source lines).
 *
 * Every drop the app asked for is honoured: an event that finished its event processors is
 * decided already (sent, dropped by `beforeSend`, sampled out) and is never salvaged; one still
 * in them is run at exit through the synchronous event processors (`ignoreErrors`, `denyUrls`,
 * the app's own) and then `beforeSend`, as the SDK would have, and salvaged only if all keep it.
 * An async `beforeSend` cannot answer at exit: its events are dropped (counted), not sent unseen.
 */
export function salvagePendingEvents(
  client: Client,
  transport: KafkaTransport,
  options: SalvageOptions = {},
): Salvage {
  const maxAgeMs = options.maxAgeMs ?? 5000;
  const maxEvents = options.maxEvents ?? 1000;
  const transform = options.transformEnvelope ?? ((envelope: Envelope) => envelope);
  const scopesNow = options.scopes ?? (() => [getGlobalScope(), getIsolationScope(), getCurrentScope()]);
  const pending = new Map<string, { event: Event; at: number; scopes: Scope[]; hint: EventHint }>();
  const stats: SalvageStats = { salvaged: 0, dropped: 0 };

  const offPreprocess = client.on('preprocessEvent', (event: Event, hint?: EventHint) => {
    if (event.type !== undefined || !event.event_id) return; // errors only
    // The SDK emits this synchronously inside capture, so these are the scopes it captured in
    // (a withScope scope is current only now).
    pending.set(event.event_id, {
      event,
      at: Date.now(),
      scopes: scopesNow(),
      hint: hint ?? {},
    });
    trimOldest(pending, maxEvents);
  });
  // Past its event processors an event is decided (beforeSend runs next, at once): not salvaged.
  const offPostprocess = client.on('postprocessEvent', (event: Event) => {
    if (event.event_id) pending.delete(event.event_id);
  });
  const offEnvelope = client.on('beforeEnvelope', (envelope: Envelope) => {
    const id = envelope[0].event_id;
    if (typeof id === 'string') pending.delete(id);
  });

  const removeHook = transport.addExitHook(() => {
    const options = client.getOptions();
    const dsn = client.getDsn();
    const now = Date.now();
    const envelopes: Envelope[] = [];
    for (const [eventId, { event, at, scopes, hint }] of pending) {
      if (now - at > maxAgeMs) continue;
      const salvaged: ErrorEvent = {
        ...(event as ErrorEvent),
        event_id: eventId,
        timestamp: event.timestamp ?? at / 1000,
        platform: event.platform ?? 'node',
        level: event.level ?? 'error',
        release: event.release ?? options.release,
        environment: event.environment ?? options.environment ?? 'production',
        sdk: event.sdk ?? options._metadata?.sdk,
      };
      const [outermost, ...inner] = scopes;
      let scopeProcessors: EventProcessor[] = [];
      if (outermost) {
        const data = outermost.getScopeData();
        for (const scope of inner) mergeScopeData(data, scope.getScopeData());
        applyScopeDataToEvent(salvaged, data);
        scopeProcessors = data.eventProcessors;
      }
      const kept = decideAgain(client, [...client.getEventProcessors(), ...scopeProcessors], salvaged, hint);
      if (!kept) {
        stats.dropped++;
        continue;
      }
      // Processing metadata (the normalized request, among others) is for event processors only.
      delete kept.sdkProcessingMetadata;
      kept.tags = { ...kept.tags, 'faultline.salvaged': 'process.exit' };
      const envelope = [
        {
          event_id: eventId,
          sent_at: new Date(now).toISOString(),
          ...(dsn
            ? {
                dsn: `${dsn.protocol}://${dsn.publicKey}@${dsn.host}${dsn.port ? `:${dsn.port}` : ''}/${dsn.path ? `${dsn.path}/` : ''}${dsn.projectId}`,
              }
            : {}),
        },
        [[{ type: 'event' }, kept]],
      ] as Envelope;
      envelopes.push(transform(envelope));
      stats.salvaged++;
    }
    pending.clear();
    return envelopes;
  });

  return {
    forget(eventId) {
      if (eventId) pending.delete(eventId);
    },
    pending: () => pending.size,
    stats: () => ({ ...stats }),
    stop() {
      offPreprocess();
      offPostprocess();
      offEnvelope();
      removeHook();
      pending.clear();
    },
  };
}

/**
 * The SDK's decisions, run again synchronously at exit: each event processor in order (one that
 * answers later, such as source lines read from disk, is passed over with the event as it is;
 * one that throws drops the event, as in the SDK), then `beforeSend`. Returns the event to send,
 * or undefined when any of them dropped it.
 */
function decideAgain(
  client: Client,
  processors: EventProcessor[],
  event: ErrorEvent,
  hint: EventHint,
): ErrorEvent | undefined {
  let current: Event = event;
  for (const processor of processors) {
    let result: ReturnType<EventProcessor>;
    try {
      result = processor({ ...current }, hint);
    } catch {
      return undefined;
    }
    if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
      // Settle it quietly: nothing waits for it at exit.
      Promise.resolve(result).catch(() => undefined);
      continue;
    }
    if (!result) return undefined;
    current = result as Event;
  }
  const beforeSend = client.getOptions().beforeSend;
  if (!beforeSend) return current as ErrorEvent;
  let decided: ReturnType<typeof beforeSend>;
  try {
    decided = beforeSend(current as ErrorEvent, hint);
  } catch {
    return undefined;
  }
  if (decided && typeof (decided as PromiseLike<unknown>).then === 'function') {
    Promise.resolve(decided).catch(() => undefined);
    return undefined;
  }
  return (decided as ErrorEvent | null) ?? undefined;
}
