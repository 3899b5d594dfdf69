import { type Agent, Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import {
  createTunnelCache,
  onAbort,
  type ProxyRoute,
  type ProxySettings,
  proxyFor,
  proxyRoute,
} from '@faultline/contract';
import { type AnswerTimeout, createAnswerTimeout } from './answer-timeout.js';

// On the thread pool: a large body compressed here must not stall every other envelope in flight.
const gzip = promisify(gzipCallback);

export interface PostResult {
  status: number;
  retryAfter: string | null;
  rateLimits: string | null;
}

export interface Poster {
  /**
   * POSTs an envelope; rejects on network errors (a reset, a connection closed before the
   * answer), on timeouts, and when `signal` aborts.
   */
  post(url: URL, body: Buffer, publicKey: string, signal?: AbortSignal): Promise<PostResult>;
  close(): void;
}

const CLIENT = 'faultline-forwarder/0.1.0';

/** Where one endpoint's requests go: worked out once per URL. */
type Target = Omit<ProxyRoute, 'tunnel'> & { agent: Agent; https: boolean; upstream: string };

/**
 * HTTP(S) with keep-alive, authenticated as the SDK is (`X-Sentry-Auth` with the DSN's public
 * key), bodies over `compressAboveBytes` gzipped. `maxSockets` per host should be at least the
 * requests allowed in flight, or the agent queues what the forwarder meant to pipeline; it also
 * bounds the sockets a misbehaving upstream can make this process hold.
 *
 * Two timeouts: `timeoutMs` while connecting and sending (no progress for that long), and once
 * the request is sent, the answer timeout learned per upstream (`answerTimeout`), so a request
 * that is never answered frees its slot within half a second at a 50 ms ingest.
 */
export function createPoster(options: {
  timeoutMs: number;
  compressAboveBytes: number;
  maxSockets: number;
  /** @default learned per upstream between 250 ms and `timeoutMs` */
  answerTimeout?: AnswerTimeout;
  /** Proxies from the environment, and an explicit proxy URL (or false for none) over them. @default none */
  proxy?: { settings: ProxySettings; explicit?: string | false };
}): Poster {
  const agents = {
    'http:': new HttpAgent({
      keepAlive: true,
      maxSockets: options.maxSockets,
      maxTotalSockets: options.maxSockets * 4,
    }),
    'https:': new HttpsAgent({
      keepAlive: true,
      maxSockets: options.maxSockets,
      maxTotalSockets: options.maxSockets * 4,
    }),
  };
  const answerTimeout =
    options.answerTimeout ?? createAnswerTimeout({ minMs: 250, maxMs: options.timeoutMs });
  // Per endpoint and per key, what every request repeats: worked out once (a topic carries few).
  const targets = new WeakMap<URL, Target>();
  const tunnels = createTunnelCache({ keepAlive: true, maxSockets: options.maxSockets });
  const auths = new Map<string, string>();
  const targetOf = (url: URL) => {
    let target = targets.get(url);
    if (!target) {
      const https = url.protocol === 'https:';
      const proxy = options.proxy ? proxyFor(url, options.proxy.settings, options.proxy.explicit) : undefined;
      const { tunnel, ...route } = proxyRoute(url, proxy, tunnels);
      target = {
        ...route,
        agent: tunnel ?? (https ? agents['https:'] : agents['http:']),
        https,
        upstream: url.origin,
      };
      targets.set(url, target);
    }
    return target;
  };
  const authOf = (publicKey: string) => {
    let auth = auths.get(publicKey);
    if (auth === undefined) {
      auth = `Sentry sentry_version=7, sentry_key=${publicKey}, sentry_client=${CLIENT}`;
      if (auths.size >= 1000) auths.clear();
      auths.set(publicKey, auth);
    }
    return auth;
  };
  return {
    post(url, body, publicKey, signal) {
      if (body.length > options.compressAboveBytes)
        return gzip(body).then((payload) => send(url, payload, true, publicKey, signal));
      try {
        return send(url, body, false, publicKey, signal);
      } catch (error) {
        // A header Node refuses, say: the caller counts a rejection as a failed attempt.
        return Promise.reject(error);
      }
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
      tunnels.close();
    },
  };

  // Not async: most bodies are sent as they are, without a promise and a hop of their own.
  function send(
    url: URL,
    payload: Buffer,
    compress: boolean,
    publicKey: string,
    signal: AbortSignal | undefined,
  ): Promise<PostResult> {
    const target = targetOf(url);
    const headers: Record<string, string | number> = {
      ...target.headers,
      'content-type': 'application/x-sentry-envelope',
      'content-length': payload.length,
      'x-sentry-auth': authOf(publicKey),
      'user-agent': CLIENT,
    };
    if (compress) headers['content-encoding'] = 'gzip';
    const { upstream } = target;
    return new Promise((resolve, reject) => {
      let sentAt = 0;
      let answerTimer: NodeJS.Timeout | undefined;
      let unlisten: (() => void) | undefined;
      const done = () => {
        clearTimeout(answerTimer);
        unlisten?.();
      };
      const req = (target.https ? httpsRequest : httpRequest)(
        {
          hostname: target.hostname,
          port: target.port,
          path: target.path,
          method: 'POST',
          agent: target.agent,
          timeout: options.timeoutMs,
          headers,
        },
        (res) => {
          clearTimeout(answerTimer);
          const status = res.statusCode ?? 0;
          if (sentAt > 0 && status >= 200 && status < 300)
            answerTimeout.observe(upstream, performance.now() - sentAt);
          res.resume();
          res.on('end', () => {
            done();
            const header = (name: string) => {
              const value = res.headers[name];
              return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
            };
            resolve({
              status,
              retryAfter: header('retry-after'),
              rateLimits: header('x-sentry-rate-limits'),
            });
          });
          res.on('error', (error) => {
            done();
            reject(error);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no progress within ${options.timeoutMs} ms`)));
      // Sent: from here the answer must come within what this upstream usually takes. Checked at
      // least every second against the current estimate, so requests sent before anything was
      // learned (the first of a run) do not wait out the ceiling.
      const check = () => {
        const elapsed = performance.now() - sentAt;
        const limit = answerTimeout.timeoutFor(upstream);
        if (elapsed >= limit) req.destroy(new Error(`no answer within ${Math.round(limit)} ms`));
        else answerTimer = setTimeout(check, Math.min(limit - elapsed, 1000));
      };
      req.on('finish', () => {
        sentAt = performance.now();
        answerTimer = setTimeout(check, Math.min(answerTimeout.timeoutFor(upstream), 1000));
      });
      req.on('error', (error) => {
        done();
        reject(error);
      });
      if (signal)
        unlisten = onAbort(signal, () => req.destroy(new Error('aborted: the forwarder is stopping')));
      req.end(payload);
    });
  }
}
