/** Counters and gauges the forwarder exposes on /metrics, in Prometheus text format. */
export interface ForwarderMetrics {
  delivered: number;
  retried: number;
  deadLettered: Record<string, number>;
  rateLimited: number;
  duplicates: number;
  dropped: Record<string, number>;
  trimmedBreadcrumbs: number;
  pausedPartitions: number;
  /** Consumer lag per `topic/partition`, from the last batch seen. */
  lag: Record<string, number>;
  /** Delivery latency histogram (seconds), cumulative buckets. */
  latency: { buckets: number[]; counts: number[]; sum: number; count: number };
}

export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(): ForwarderMetrics {
  return {
    delivered: 0,
    retried: 0,
    deadLettered: {},
    rateLimited: 0,
    duplicates: 0,
    dropped: {},
    trimmedBreadcrumbs: 0,
    pausedPartitions: 0,
    lag: {},
    latency: { buckets: LATENCY_BUCKETS, counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 },
  };
}

export function observeLatency(metrics: ForwarderMetrics, seconds: number): void {
  const { latency } = metrics;
  latency.sum += seconds;
  latency.count++;
  latency.buckets.forEach((bound, i) => {
    if (seconds <= bound) latency.counts[i] = (latency.counts[i] ?? 0) + 1;
  });
}

export function renderMetrics(m: ForwarderMetrics): string {
  const lines: string[] = [];
  const counter = (name: string, help: string, value: number, labels = '') => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name}${labels} ${value}`);
  };
  counter('faultline_forwarder_delivered_total', 'Envelopes accepted by the ingest.', m.delivered);
  counter(
    'faultline_forwarder_retried_total',
    'Delivery attempts retried after 5xx, timeouts or network errors.',
    m.retried,
  );
  counter(
    'faultline_forwarder_rate_limited_total',
    'Answers of 429 (the envelope waited, then was delivered).',
    m.rateLimited,
  );
  counter(
    'faultline_forwarder_duplicates_total',
    'Envelopes skipped because their event id was already delivered.',
    m.duplicates,
  );
  counter(
    'faultline_forwarder_breadcrumbs_trimmed_total',
    'Breadcrumbs removed by max_breadcrumbs.',
    m.trimmedBreadcrumbs,
  );
  lines.push(
    '# HELP faultline_forwarder_dead_lettered_total Envelopes sent to the dead-letter topic, by reason.',
  );
  lines.push('# TYPE faultline_forwarder_dead_lettered_total counter');
  for (const [reason, value] of Object.entries(m.deadLettered)) {
    lines.push(`faultline_forwarder_dead_lettered_total{reason="${reason}"} ${value}`);
  }
  lines.push('# HELP faultline_forwarder_dropped_total Envelopes dropped by policy, by reason.');
  lines.push('# TYPE faultline_forwarder_dropped_total counter');
  for (const [reason, value] of Object.entries(m.dropped)) {
    lines.push(`faultline_forwarder_dropped_total{reason="${reason}"} ${value}`);
  }
  lines.push('# HELP faultline_forwarder_paused_partitions Partitions waiting for a rate limit or a retry.');
  lines.push('# TYPE faultline_forwarder_paused_partitions gauge');
  lines.push(`faultline_forwarder_paused_partitions ${m.pausedPartitions}`);
  lines.push('# HELP faultline_forwarder_consumer_lag Messages behind the high watermark, per partition.');
  lines.push('# TYPE faultline_forwarder_consumer_lag gauge');
  for (const [partition, value] of Object.entries(m.lag)) {
    const [topic, id] = partition.split('/');
    lines.push(`faultline_forwarder_consumer_lag{topic="${topic}",partition="${id}"} ${value}`);
  }
  lines.push('# HELP faultline_forwarder_delivery_seconds Time from reading an envelope to its acceptance.');
  lines.push('# TYPE faultline_forwarder_delivery_seconds histogram');
  m.latency.buckets.forEach((bound, i) => {
    lines.push(`faultline_forwarder_delivery_seconds_bucket{le="${bound}"} ${m.latency.counts[i]}`);
  });
  lines.push(`faultline_forwarder_delivery_seconds_bucket{le="+Inf"} ${m.latency.count}`);
  lines.push(`faultline_forwarder_delivery_seconds_sum ${m.latency.sum}`);
  lines.push(`faultline_forwarder_delivery_seconds_count ${m.latency.count}`);
  return `${lines.join('\n')}\n`;
}
