import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { foldKafkaLogs, redactDsn, trackSockets, withDeadline } from '@faultline/contract';
import { createScrubber } from '@faultline/scrubbing';
import { openSpool, type Spool } from '@faultline/spool';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { createCors } from './cors.js';
import { createDurableWriter, type DurableWriter } from './durable-writer.js';
import { handleIngest, type IngestDeps } from './handle-ingest.js';
import { createIntakeMetrics, type IntakeFigures } from './intake-metrics.js';
import type { IntakeOptions } from './intake-options.js';
import { mendKafkaJs } from './mend-kafkajs.js';
import { createOutcomeBook, type OutcomeBook } from './outcome-book.js';
import { createProjectKeys } from './project-keys.js';
import { createProjectRateLimits } from './project-rate-limits.js';
import { resolveIntakeConfig } from './resolve-intake-config.js';

export interface Intake {
  /** The port it listens on (after `start()`): the one asked for, or the one given for port 0. */
  readonly port: number;
  /** Counters as plain numbers (the same figures `/metrics` exports). */
  readonly figures: IntakeFigures;
  /** Ready: started, not stopping, and able to make an envelope durable (Kafka up or room in the spool). */
  isReady(): boolean;
  /**
   * Opens the spool (throws a `SpoolError` if another process holds it), starts producing, and
   * listens. Kafka need not be up: envelopes go to the spool until it is.
   */
  start(): Promise<void>;
  /**
   * Graceful: `/readyz` turns 503, no new connection is taken, requests in flight are answered
   * (up to `shutdownTimeoutMs`), batched envelopes are produced or spooled, outcomes written.
   */
  stop(): Promise<void>;
}

const ROUTE = /^\/api\/(\d{1,20})\/(envelope|store)\/?$/;

/**
 * The intake: Sentry's ingest protocol over HTTP, for any SDK, writing to the envelope topic
 * with the message contract the forwarder and the alerts read. Throws a `ConfigError` at once
 * when the options are invalid.
 */
export function createIntake(options: IntakeOptions): Intake {
  mendKafkaJs();
  const config = resolveIntakeConfig(options);
  const { logger } = config;
  const keys = createProjectKeys(config.dsns);
  // Shut at the end of stop(): a broker that went silent keeps no connection, and no process, open.
  const sockets = trackSockets();
  const kafka = new Kafka({
    brokers: config.brokers,
    clientId: config.clientId,
    socketFactory: sockets.factory,
    ssl: options.ssl,
    sasl: options.sasl,
    logLevel: options.logLevel === 'debug' ? logLevel.INFO : logLevel.WARN,
    logCreator: foldKafkaLogs(logger),
    // A request to a broker that is gone must fail fast: the answer to an SDK waits on it.
    connectionTimeout: Math.min(3000, config.kafkaTimeoutMs),
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  let spool: Spool | undefined;
  let writer: DurableWriter | undefined;
  let outcomes: OutcomeBook | undefined;
  const metrics = createIntakeMetrics({
    kafkaUp: () => writer?.kafkaUp ?? false,
    spool: () => spool?.stats() ?? { records: 0, bytes: 0 },
  });
  const cors = createCors(config.corsOrigins);
  const limits = createProjectRateLimits({
    quotas: config.rateLimits,
    projectQuotas: config.projectRateLimits,
    instances: config.instances,
  });
  const scrubber = options.scrub === false ? undefined : createScrubber(options.scrub ?? {});
  let deps: IngestDeps | undefined;
  let state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const isReady = () => state === 'running' && (writer?.canAccept() ?? false);

  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) drained?.();
    });
    route(req, res);
  });

  function route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://intake');
    const match = ROUTE.exec(url.pathname);
    if (match && deps) {
      if (req.method === 'OPTIONS') {
        const { status, headers } = cors.preflight(req);
        metrics.count(metrics.figures.requests, String(status));
        res.writeHead(status, headers).end();
        return;
      }
      if (req.method !== 'POST') {
        plain(res, 405, { detail: 'method not allowed' }, { allow: 'POST, OPTIONS' });
        return;
      }
      void handleIngest(
        req,
        res,
        { projectId: match[1] as string, kind: match[2] as 'envelope' | 'store', query: url.searchParams },
        deps,
      );
      return;
    }
    if (url.pathname === '/healthz') {
      plain(res, 200, { status: 'ok' });
    } else if (url.pathname === '/readyz') {
      const ready = isReady();
      plain(res, ready ? 200 : 503, {
        status: ready ? 'ready' : 'not ready',
        kafka: writer?.kafkaUp ? 'up' : 'down',
        spooled: spool?.stats().records ?? 0,
      });
    } else if (url.pathname === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else {
      plain(res, 404, { detail: 'not found' });
    }
  }

  return {
    get port() {
      return (server.address() as AddressInfo | null)?.port ?? config.port;
    },
    figures: metrics.figures,
    isReady,
    async start() {
      if (state !== 'new') throw new Error('the intake was started already');
      spool = openSpool({
        dir: config.spool.dir,
        maxBytes: config.spool.maxBytes,
        fsync: config.spool.fsync,
        // Refuse the new envelope (503: the SDK keeps it) rather than drop one already accepted.
        whenFull: 'drop-newest',
      });
      writer = createDurableWriter({
        producer,
        topic: config.topic,
        spool,
        logger,
        kafkaTimeoutMs: config.kafkaTimeoutMs,
        lingerMs: config.lingerMs,
        maxBatchBytes: Math.max(config.maxEnvelopeBytes, 900_000),
        maxInFlight: 4,
        onTooLarge: (count) => metrics.count(metrics.figures.envelopes, 'dropped_too_large', count),
      });
      outcomes = createOutcomeBook({
        writer,
        intervalMs: config.outcomeIntervalMs,
        figures: metrics.figures,
        logger,
      });
      deps = { config, keys, cors, limits, writer, outcomes, metrics, scrubber, logger, load: { bytes: 0 } };
      await writer.start();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      state = 'running';
      logger.info('intake listening', {
        port: this.port,
        topic: config.topic,
        projects: config.dsns.map((dsn) => redactDsn(dsn)),
        spool: config.spool.dir,
      });
    },
    async stop() {
      if (state !== 'running') return;
      state = 'stopping';
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await withDeadline(new Promise<void>((resolve) => (drained = resolve)), config.shutdownTimeoutMs);
      }
      server.closeAllConnections();
      await closed;
      await outcomes?.stop();
      await writer?.stop();
      sockets.shut(logger);
      const left = spool?.stats().records ?? 0;
      spool?.close();
      state = 'stopped';
      logger.info('intake stopped', { spooled: left });
    },
  };
}

function plain(
  res: ServerResponse,
  status: number,
  body: object,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
