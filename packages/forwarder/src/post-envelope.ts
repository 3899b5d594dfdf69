import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { gzipSync } from 'node:zlib';

export interface PostResult {
  status: number;
  retryAfter: string | null;
  rateLimits: string | null;
}

export interface Poster {
  /** POSTs an envelope; rejects on network errors and timeouts. */
  post(url: URL, body: Buffer, publicKey: string): Promise<PostResult>;
  close(): void;
}

const CLIENT = 'faultline-forwarder/0.1.0';

/**
 * HTTP(S) with keep-alive, authenticated as the SDK is (`X-Sentry-Auth` with the DSN's public
 * key), bodies over `compressAboveBytes` gzipped. `maxSockets` per host should be at least the
 * requests allowed in flight, or the agent queues what the forwarder meant to pipeline.
 */
export function createPoster(options: {
  timeoutMs: number;
  compressAboveBytes: number;
  maxSockets: number;
}): Poster {
  const agents = {
    'http:': new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets }),
    'https:': new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets }),
  };
  return {
    post(url, body, publicKey) {
      const compress = body.length > options.compressAboveBytes;
      const payload = compress ? gzipSync(body) : body;
      const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
      return new Promise((resolve, reject) => {
        const req = request(
          url,
          {
            method: 'POST',
            agent: agents[url.protocol as 'http:' | 'https:'],
            timeout: options.timeoutMs,
            headers: {
              'content-type': 'application/x-sentry-envelope',
              'content-length': payload.length,
              'x-sentry-auth': `Sentry sentry_version=7, sentry_key=${publicKey}, sentry_client=${CLIENT}`,
              'user-agent': CLIENT,
              ...(compress ? { 'content-encoding': 'gzip' } : {}),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              const header = (name: string) => {
                const value = res.headers[name];
                return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
              };
              resolve({
                status: res.statusCode ?? 0,
                retryAfter: header('retry-after'),
                rateLimits: header('x-sentry-rate-limits'),
              });
            });
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
        req.on('error', reject);
        req.end(payload);
      });
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
