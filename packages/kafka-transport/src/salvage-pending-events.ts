import type { Client, Envelope, ErrorEvent, Event, Scope } from '@sentry/core';
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

export interface Salvage {
  /** Forget an event a policy decided to drop, so it is not salvaged at exit. */
  forget(eventId: string | undefined): void;
  /** Events captured and not yet handed to the transport. */
  pending(): number;
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
  const pending = new Map<string, { event: Event; at: number; scopes: Scope[] }>();

  const offPreprocess = client.on('preprocessEvent', (event: Event) => {
    if (event.type !== undefined || !event.event_id) return; // errors only
    if (pending.size >= maxEvents) {
      const oldest = pending.keys().next().value;
      if (oldest !== undefined) pending.delete(oldest);
    }
    // The SDK emits this synchronously inside capture, so these are the scopes it captured in
    // (a withScope scope is current only now).
    pending.set(event.event_id, {
      event,
      at: Date.now(),
      scopes: scopesNow(),
    });
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
    for (const [eventId, { event, at, scopes }] of pending) {
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
      if (outermost) {
        const data = outermost.getScopeData();
        for (const scope of inner) mergeScopeData(data, scope.getScopeData());
        applyScopeDataToEvent(salvaged, data);
      }
      // Processing metadata (the normalized request, among others) is for event processors only.
      delete salvaged.sdkProcessingMetadata;
      salvaged.tags = { ...salvaged.tags, 'faultline.salvaged': 'process.exit' };
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
        [[{ type: 'event' }, salvaged]],
      ] as Envelope;
      envelopes.push(transform(envelope));
    }
    pending.clear();
    return envelopes;
  });

  return {
    forget(eventId) {
      if (eventId) pending.delete(eventId);
    },
    pending: () => pending.size,
    stop() {
      offPreprocess();
      offEnvelope();
      removeHook();
      pending.clear();
    },
  };
}
