import { createServer, type IncomingHttpHeaders, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { type Envelope, parseEnvelope } from '@sentry/core';
import { waitUntil } from './wait-until.js';

/** How the double answers one request. */
export interface IngestReply {
  /** Default: 200. */
  status?: number;
  /** e.g. `{ 'retry-after': '5', 'x-sentry-rate-limits': '60:error:organization' }`. */
  headers?: Record<string, string>;
  /** Hold the answer this long, to act as a slow ingest. Default: 0. */
  delayMs?: number;
  /** Default: `{"id":"<event id>"}` on 2xx, else empty. */
  body?: string;
}

type ClientReport = { discarded_events?: { reason: string; category: string; quantity: number }[] };

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/api/1/envelope/?sentry_key=…`. */
  url: string;
  /** The project id from the path, or undefined for another path. */
  projectId: string | undefined;
  headers: IncomingHttpHeaders;
  /** The body after `Content-Encoding` was undone. */
  body: Buffer;
  /** The parsed envelope, or undefined when the body is not one. */
  envelope: Envelope | undefined;
  /** The status the double answered with. */
  status: number;
  /** When the whole request had arrived (ms since the epoch). */
  receivedAt: number;
  /** When the answer was sent (after any `delayMs`). */
  answeredAt: number | undefined;
}

export interface IngestDouble {
  /** e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Every request so far, in arrival order. */
  readonly requests: RecordedRequest[];
  /** A DSN that points here. */
  dsn(projectId?: number, publicKey?: string): string;
  /** The next `times` requests get `reply` (queued after earlier plans). Default `times`: 1. */
  respondWith(reply: IngestReply, times?: number): void;
  /** The answer for requests no plan covers. Default: 200. */
  setDefaultReply(reply: IngestReply): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** The payloads of every envelope item of `type` received so far, in arrival order. */
  items<T = Record<string, unknown>>(type: string): T[];
  /**
   * Every client-report entry received so far, quantities summed by `<reason>:<category>`,
   * e.g. `{ 'sample_rate:span': 8, 'before_send:error': 3 }`.
   */
  discarded(): Record<string, number>;
  /** Waits for the first envelope item of `type` (`event`, `span`, `client_report`...) and returns its payload. */
  waitForItem<T = Record<string, unknown>>(type: string, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/**
 * A small HTTP server speaking Sentry's envelope endpoint (`POST /api/<id>/envelope/`) that
 * records what it receives and answers as told: 429 with rate-limit headers, 5xx, or slowly.
 * It exists to inject faults a real server can't be made to produce on demand; real ingest
 * behaviour is checked against Bugsink.
 */
export async function createIngestDouble(
  options: {
    port?: number;
    /** Serve HTTPS with this certificate and key (PEM), as Sentry's ingest does. Default: HTTP. */
    tls?: { cert: string; key: string };
  } = {},
): Promise<IngestDouble> {
  const requests: RecordedRequest[] = [];
  const items = <T>(type: string): T[] => {
    const found: T[] = [];
    for (const request of requests) {
      for (const [header, payload] of request.envelope?.[1] ?? [])
        if (header.type === type) found.push(payload as T);
    }
    return found;
  };
  const plans: IngestReply[] = [];
  let defaultReply: IngestReply = {};

  const handler: RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const match = /^\/api\/(\d+)\/envelope\/?(?:\?|$)/.exec(req.url ?? '');
      const body = decode(Buffer.concat(chunks), req.headers['content-encoding']);
      const envelope = body ? tryParseEnvelope(body) : undefined;
      const reply = match && req.method === 'POST' ? (plans.shift() ?? defaultReply) : { status: 404 };
      const status = reply.status ?? 200;
      const record: RecordedRequest = {
        receivedAt: Date.now(),
        answeredAt: undefined,
        method: req.method ?? '',
        url: req.url ?? '',
        projectId: match?.[1],
        headers: req.headers,
        body: body ?? Buffer.alloc(0),
        envelope,
        status,
      };
      requests.push(record);
      const eventId = envelope?.[0].event_id;
      const text = reply.body ?? (status < 300 && eventId ? JSON.stringify({ id: eventId }) : '');
      const respond = () => {
        record.answeredAt = Date.now();
        res.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
        res.end(text);
      };
      if (reply.delayMs) setTimeout(respond, reply.delayMs);
      else respond();
    });
  };
  const server = options.tls ? createHttpsServer(options.tls, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const scheme = options.tls ? 'https' : 'http';
  const url = `${scheme}://127.0.0.1:${port}`;

  return {
    url,
    requests,
    dsn: (projectId = 1, publicKey = 'publickey') =>
      `${scheme}://${publicKey}@127.0.0.1:${port}/${projectId}`,
    respondWith(reply, times = 1) {
      for (let i = 0; i < times; i++) plans.push(reply);
    },
    setDefaultReply(reply) {
      defaultReply = reply;
    },
    waitForRequests(count, timeoutMs = 10_000) {
      return waitUntil(() => (requests.length >= count ? requests.slice() : undefined), {
        what: `${count} request(s) at the ingest double`,
        timeoutMs,
        intervalMs: 20,
      });
    },
    items,
    discarded() {
      const totals: Record<string, number> = {};
      for (const report of items<ClientReport>('client_report')) {
        for (const entry of report.discarded_events ?? []) {
          const key = `${entry.reason}:${entry.category}`;
          totals[key] = (totals[key] ?? 0) + entry.quantity;
        }
      }
      return totals;
    },
    waitForItem<T>(type: string, timeoutMs = 10_000) {
      return waitUntil(
        () => {
          for (const request of requests) {
            const item = request.envelope?.[1].find(([header]) => header.type === type);
            if (item) return item[1] as T;
          }
          return undefined;
        },
        { what: `a '${type}' item at the ingest double`, timeoutMs, intervalMs: 20 },
      );
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Undoes Content-Encoding; undefined when the body does not decode. */
function decode(body: Buffer, encoding: string | undefined): Buffer | undefined {
  try {
    switch (encoding?.toLowerCase()) {
      case undefined:
      case 'identity':
        return body;
      case 'gzip':
        return gunzipSync(body);
      case 'br':
        return brotliDecompressSync(body);
      case 'deflate':
        // SDKs disagree on zlib-wrapped versus raw DEFLATE; accept both.
        try {
          return inflateSync(body);
        } catch {
          return inflateRawSync(body);
        }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

function tryParseEnvelope(body: Buffer): Envelope | undefined {
  try {
    const envelope = parseEnvelope(new Uint8Array(body));
    return envelope[0] && typeof envelope[0] === 'object' ? envelope : undefined;
  } catch {
    return undefined;
  }
}
