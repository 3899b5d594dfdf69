import type { BaseTransportOptions, Transport } from '@sentry/core';
import { type Clock, systemClock } from './clock.js';

export interface BackpressureOptions {
  /** How often transport health is checked. @default 10 000 ms (as Sentry's Python SDK) */
  intervalMs?: number;
  /** Halvings at most: 10 gives a floor of 1/1024. @default 10 */
  maxHalvings?: number;
  /** @default Date.now */
  clock?: Clock;
}

export interface Backpressure {
  /**
   * The multiplier for new traces' rates: 1 while healthy, halved at each unhealthy check down
   * to 1/1024, back to 1 at the first healthy check. Checks run lazily, when this is called.
   */
  factor(): number;
  /** Wraps a transport factory so its failures and rate limits are seen. */
  wrapTransport<O extends BaseTransportOptions>(
    factory: (options: O) => Transport,
  ): (options: O) => Transport;
  /** Marks trouble seen elsewhere (a custom transport, a spool overflow). */
  reportTrouble(): void;
}

// Transport outcomes that mean "the pipe is full or broken"; 'send_error' is a bad envelope, not pressure.
const TROUBLE = new Set(['queue_overflow', 'network_error', 'ratelimit_backoff', 'buffer_overflow']);

/**
 * Backpressure for trace sampling, as Sentry's Python, Java, Ruby and .NET SDKs do it and the
 * JavaScript SDK does not: while the transport drops (queue overflow, network errors) or is
 * rate limited, new traces are sampled at a halved rate, halving again at each check.
 */
export function createBackpressure(options: BackpressureOptions = {}): Backpressure {
  const clock = options.clock ?? systemClock;
  const intervalMs = options.intervalMs ?? 10_000;
  const maxHalvings = options.maxHalvings ?? 10;
  let nextCheck = clock.now() + intervalMs;
  let troubled = false;
  let rateLimitedUntil = 0;
  let halvings = 0;
  let factor = 1;

  function noteRateLimit(seconds: number): void {
    rateLimitedUntil = Math.max(rateLimitedUntil, clock.now() + seconds * 1000);
  }

  return {
    factor() {
      const now = clock.now();
      if (now >= nextCheck) {
        const healthy = !troubled && rateLimitedUntil <= now;
        halvings = healthy ? 0 : Math.min(maxHalvings, halvings + 1);
        factor = 1 / 2 ** halvings;
        troubled = false;
        nextCheck = now + intervalMs;
      }
      return factor;
    },
    reportTrouble() {
      troubled = true;
    },
    wrapTransport(factory) {
      return (transportOptions) => {
        const inner = factory({
          ...transportOptions,
          recordDroppedEvent: (reason, category, count) => {
            if (TROUBLE.has(reason)) troubled = true;
            transportOptions.recordDroppedEvent(reason, category, count);
          },
        });
        return {
          send: (envelope) =>
            inner.send(envelope).then(
              (response) => {
                const limits = response.headers?.['x-sentry-rate-limits'];
                const retryAfter = response.headers?.['retry-after'];
                if (limits) noteRateLimit(Number.parseInt(limits, 10) || 60);
                else if (response.statusCode === 429)
                  noteRateLimit(Number.parseInt(retryAfter ?? '', 10) || 60);
                return response;
              },
              (error: unknown) => {
                troubled = true;
                throw error;
              },
            ),
          flush: (timeout) => inner.flush(timeout),
        };
      };
    },
  };
}
