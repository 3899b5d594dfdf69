import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The intake's figures as plain numbers (read by tests and embedders), exported on `/metrics`. */
export interface IntakeFigures {
  /** Answers by HTTP status. */
  requests: Record<string, number>;
  /**
   * Envelopes by outcome: `kafka` and `spool` (accepted, and where they were made durable),
   * `rate_limited`, `refused` (503: nowhere durable), `busy` (503: `maxInFlightBytes` held),
   * `invalid`, `unauthorized`, `too_large` (413), `empty` (every item was left out),
   * `dropped_too_large` (spooled, then refused by the topic for its size).
   */
  envelopes: Record<string, number>;
  /** Items by `<outcome>:<category>`: `accepted`, `too_large`, `invalid`, `rate_limited`, `scrub_failed`. */
  items: Record<string, number>;
  /** Request body bytes as sent (compressed), and envelope bytes after decoding. */
  bytesReceived: number;
  bytesDecoded: number;
  trimmedBreadcrumbs: number;
  /** Client-report envelopes written to the topic for what the intake left out. */
  outcomesReported: number;
}

export interface IntakeMetrics {
  readonly figures: IntakeFigures;
  readonly registry: Registry;
  count(record: Record<string, number>, key: string, by?: number): void;
  observeLatency(seconds: number): void;
}

/**
 * A prom-client registry over the plain figures (counters read them at scrape time, so the hot
 * path only adds numbers), a latency histogram, and the state of Kafka and the spool.
 */
export function createIntakeMetrics(state: {
  kafkaUp: () => boolean;
  spool: () => { records: number; bytes: number };
}): IntakeMetrics {
  const figures: IntakeFigures = {
    requests: {},
    envelopes: {},
    items: {},
    bytesReceived: 0,
    bytesDecoded: 0,
    trimmedBreadcrumbs: 0,
    outcomesReported: 0,
  };
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelled = (name: string, help: string, labels: string[], read: () => Record<string, number>) =>
    new Counter({
      name,
      help,
      labelNames: labels,
      registers: [registry],
      collect() {
        this.reset();
        for (const [key, count] of Object.entries(read())) {
          const values = key.split(':');
          this.inc(Object.fromEntries(labels.map((label, i) => [label, values[i] ?? ''])), count);
        }
      },
    });
  const single = (name: string, help: string, read: () => number, type: 'counter' | 'gauge') => {
    const Metric = type === 'counter' ? Counter : Gauge;
    return new Metric({
      name,
      help,
      registers: [registry],
      collect(this: Counter | Gauge) {
        if (this instanceof Gauge) this.set(read());
        else {
          this.reset();
          this.inc(read());
        }
      },
    });
  };
  labelled('faultline_intake_requests_total', 'Answers by HTTP status.', ['status'], () => figures.requests);
  labelled(
    'faultline_intake_envelopes_total',
    'Envelopes by outcome (kafka, spool, rate_limited, refused, invalid, unauthorized, too_large, empty).',
    ['outcome'],
    () => figures.envelopes,
  );
  labelled(
    'faultline_intake_items_total',
    'Envelope items by outcome and data category.',
    ['outcome', 'category'],
    () => figures.items,
  );
  single(
    'faultline_intake_received_bytes_total',
    'Request body bytes as sent.',
    () => figures.bytesReceived,
    'counter',
  );
  single(
    'faultline_intake_decoded_bytes_total',
    'Envelope bytes after decompression.',
    () => figures.bytesDecoded,
    'counter',
  );
  single(
    'faultline_intake_breadcrumbs_trimmed_total',
    'Breadcrumbs removed by max_breadcrumbs.',
    () => figures.trimmedBreadcrumbs,
    'counter',
  );
  single(
    'faultline_intake_outcomes_reported_total',
    'Client reports written to the topic for what the intake left out.',
    () => figures.outcomesReported,
    'counter',
  );
  single(
    'faultline_intake_kafka_up',
    '1 while Kafka takes envelopes and the spool is empty.',
    () => (state.kafkaUp() ? 1 : 0),
    'gauge',
  );
  single('faultline_intake_spool_envelopes', 'Envelopes in the spool.', () => state.spool().records, 'gauge');
  single('faultline_intake_spool_bytes', 'Bytes of the spool on disk.', () => state.spool().bytes, 'gauge');
  const latency = new Histogram({
    name: 'faultline_intake_request_duration_seconds',
    help: 'From the request to its answer, for envelope and store requests.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return {
    figures,
    registry,
    count: (record, key, by = 1) => {
      record[key] = (record[key] ?? 0) + by;
    },
    observeLatency: (seconds) => latency.observe(seconds),
  };
}
