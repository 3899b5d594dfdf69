import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { UpstreamSnapshot } from './upstream-gate.js';

/** Figures kept as plain numbers (readable in tests and by embedders), exported on /metrics. */
export interface ForwarderMetrics {
  delivered: number;
  retried: number;
  deadLettered: Record<string, number>;
  rateLimited: number;
  duplicates: number;
  /** Envelopes (or items) dropped by policy, by reason; each is reported upstream. */
  dropped: Record<string, number>;
  trimmedBreadcrumbs: number;
  /** Client-report envelopes sent upstream, and the drops they carried. */
  outcomesSent: number;
  /** Envelopes held now: requests in flight plus those waiting for a limit or a retry. */
  inFlight: number;
  /** Envelopes waiting now for a rate limit to end. */
  waitingForRateLimit: number;
  /** Consumer lag per `topic/partition`, from the last batch seen. */
  lag: Record<string, number>;
}

export interface MetricsRegistry {
  readonly figures: ForwarderMetrics;
  readonly registry: Registry;
  observeLatency(seconds: number): void;
}

/**
 * The forwarder's figures and a prom-client registry exporting them, with prom-client's default
 * process metrics (event-loop lag, heap, GC, CPU, open handles). Counters read the plain
 * figures at scrape time, so the hot path only increments numbers.
 */
export function createMetricsRegistry(upstreams: () => Record<string, UpstreamSnapshot>): MetricsRegistry {
  const figures: ForwarderMetrics = {
    delivered: 0,
    retried: 0,
    deadLettered: {},
    rateLimited: 0,
    duplicates: 0,
    dropped: {},
    trimmedBreadcrumbs: 0,
    outcomesSent: 0,
    inFlight: 0,
    waitingForRateLimit: 0,
    lag: {},
  };
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  const labelled = (name: string, help: string, label: string, read: () => Record<string, number>) =>
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      collect() {
        this.reset();
        for (const [value, count] of Object.entries(read())) this.inc({ [label]: value }, count);
      },
    });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  counter(
    'faultline_forwarder_delivered_total',
    'Envelopes accepted by the ingest.',
    () => figures.delivered,
  );
  counter(
    'faultline_forwarder_retried_total',
    'Delivery attempts retried after 5xx, timeouts or network errors.',
    () => figures.retried,
  );
  counter(
    'faultline_forwarder_rate_limited_total',
    'Answers of 429 (the envelope waited, then was sent again).',
    () => figures.rateLimited,
  );
  counter(
    'faultline_forwarder_duplicates_total',
    'Envelopes skipped because their event id was already delivered.',
    () => figures.duplicates,
  );
  counter(
    'faultline_forwarder_breadcrumbs_trimmed_total',
    'Breadcrumbs removed by max_breadcrumbs.',
    () => figures.trimmedBreadcrumbs,
  );
  counter(
    'faultline_forwarder_outcomes_sent_total',
    'Client reports sent upstream for what the forwarder dropped.',
    () => figures.outcomesSent,
  );
  labelled(
    'faultline_forwarder_dead_lettered_total',
    'Envelopes sent to the dead-letter topic, by reason.',
    'reason',
    () => figures.deadLettered,
  );
  labelled(
    'faultline_forwarder_dropped_total',
    'Envelopes or items dropped by policy or size, by reason.',
    'reason',
    () => figures.dropped,
  );
  gauge(
    'faultline_forwarder_in_flight',
    'Envelopes held: requests in flight plus envelopes waiting for a limit or a retry.',
    () => figures.inFlight,
  );
  gauge(
    'faultline_forwarder_waiting_for_rate_limit',
    'Envelopes waiting for a rate limit to end.',
    () => figures.waitingForRateLimit,
  );
  /** A gauge with one series per upstream host, read from the gate's snapshot at scrape time. */
  const upstreamGauge = (name: string, help: string, read: (s: UpstreamSnapshot) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['upstream'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [upstream, s] of Object.entries(upstreams())) this.set({ upstream }, read(s));
      },
    });
  upstreamGauge(
    'faultline_forwarder_upstream_concurrency',
    'Requests allowed in flight per upstream host (shrinks on failures, grows on success).',
    (s) => s.limit,
  );
  new Gauge({
    name: 'faultline_forwarder_upstream_status',
    help: 'Per upstream host and status (open, probing, closed): 1 for the status it is in, else 0.',
    labelNames: ['upstream', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [upstream, s] of Object.entries(upstreams())) {
        for (const status of ['open', 'probing', 'closed'])
          this.set({ upstream, status }, s.status === status ? 1 : 0);
      }
    },
  });
  upstreamGauge(
    'faultline_forwarder_upstream_failure_ratio',
    'Per upstream host, failures (5xx, timeouts, network errors) among its answers of the last second.',
    (s) => s.failureRatio,
  );
  new Gauge({
    name: 'faultline_forwarder_consumer_lag',
    help: 'Messages behind the high watermark, per partition.',
    labelNames: ['topic', 'partition'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [key, value] of Object.entries(figures.lag)) {
        const cut = key.lastIndexOf('/');
        this.set({ topic: key.slice(0, cut), partition: key.slice(cut + 1) }, value);
      }
    },
  });
  const latency = new Histogram({
    name: 'faultline_forwarder_delivery_seconds',
    help: 'Time from reading an envelope to its acceptance by the ingest.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return { figures, registry, observeLatency: (seconds) => latency.observe(seconds) };
}
