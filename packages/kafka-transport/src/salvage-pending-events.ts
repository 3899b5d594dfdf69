import type { Client, Envelope, ErrorEvent, Event } from '@sentry/core';
import { getGlobalScope, getIsolationScope } from '@sentry/core';
import type { KafkaTransport } from './make-kafka-transport.js';

export interface SalvageOptions {
  /** Events captured longer ago than this are assumed dropped by the SDK, not pending. @default 5000 ms */
  maxAgeMs?: number;
  /** Pending events remembered at most. @default 1000 */
  maxEvents?: number;
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
 * spool synchronously, with the release, environment and scope tags and contexts the SDK would
 * have added (but without the asynchronous enrichments, such as source lines).
 */
export function salvagePendingEvents(
  client: Client,
  transport: KafkaTransport,
  options: SalvageOptions = {},
): Salvage {
  const maxAgeMs = options.maxAgeMs ?? 5000;
  const maxEvents = options.maxEvents ?? 1000;
  const pending = new Map<string, { event: Event; at: number }>();

  const offPreprocess = client.on('preprocessEvent', (event: Event) => {
    if (event.type !== undefined || !event.event_id) return; // errors only
    if (pending.size >= maxEvents) {
      const oldest = pending.keys().next().value;
      if (oldest !== undefined) pending.delete(oldest);
    }
    pending.set(event.event_id, { event, at: Date.now() });
  });
  const offEnvelope = client.on('beforeEnvelope', (envelope: Envelope) => {
    const id = envelope[0].event_id;
    if (typeof id === 'string') pending.delete(id);
  });

  const removeHook = transport.addExitHook(() => {
    const options = client.getOptions();
    const dsn = client.getDsn();
    const now = Date.now();
    const scopeData = { ...getGlobalScope().getScopeData() };
    const isolation = getIsolationScope().getScopeData();
    const envelopes: Envelope[] = [];
    for (const [eventId, { event, at }] of pending) {
      if (now - at > maxAgeMs) continue;
      const salvaged: ErrorEvent = {
        ...(event as ErrorEvent),
        event_id: eventId,
        timestamp: event.timestamp ?? at / 1000,
        platform: event.platform ?? 'node',
        level: event.level ?? 'error',
        release: event.release ?? options.release,
        environment: event.environment ?? options.environment ?? 'production',
        tags: { ...scopeData.tags, ...isolation.tags, ...event.tags, 'faultline.salvaged': 'process.exit' },
        contexts: { ...scopeData.contexts, ...isolation.contexts, ...event.contexts },
        sdk: event.sdk ?? options._metadata?.sdk,
      };
      envelopes.push([
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
      ] as Envelope);
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
