import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  backoffDelay,
  createTunnelCache,
  onAbort,
  type ProxySettings,
  proxyFor,
  proxyRoute,
  proxySettingsFromEnv,
  sleep,
} from '@faultline/contract';

export interface PostJsonOptions {
  headers?: Record<string, string>;
  /** Attempts in all, for 5xx, 429 and network errors. @default 5 */
  attempts?: number;
  backoff?: { initialMs: number; maxMs: number };
  timeoutMs?: number;
  /**
   * The HTTP proxy to the channels, as a URL, or `false` for none whatever the environment says.
   * Env: `FAULTLINE_ALERTS_PROXY`.
   * @default from `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` (lower case first), as Sentry's SDK
   */
  proxy?: string | false;
  /** @default the process environment's proxy variables */
  proxySettings?: ProxySettings;
  /**
   * Cuts the attempt on the wire, and the backoff and attempts after it: the post rejects with
   * `stopped`. The service aborts it a few seconds into its stop. @default none
   */
  signal?: AbortSignal;
}

/**
 * POSTs a JSON body, retrying what may succeed later (5xx, 429, a network error or timeout) with
 * jittered backoff. Rejects with the status only: a webhook URL or key is a secret, so no error
 * message carries the URL or the headers.
 */
export async function postJson(url: string, body: unknown, options: PostJsonOptions = {}): Promise<number> {
  const attempts = options.attempts ?? 5;
  const backoff = options.backoff ?? { initialMs: 500, maxMs: 10_000 };
  const payload = Buffer.from(JSON.stringify(body));
  let last = 'no attempt';
  const { signal } = options;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0 && !(await sleep(backoffDelay(attempt - 1, backoff), signal))) break;
    if (signal?.aborted) break;
    try {
      const status = await send(new URL(url), payload, options);
      if (status >= 200 && status < 300) return status;
      last = `answered ${status}`;
      if (status !== 429 && status < 500) break;
    } catch (error) {
      last = (error as Error).name === 'TimeoutError' ? 'timed out' : 'unreachable';
    }
  }
  throw new Error(signal?.aborted ? 'cut short: the service is stopping' : last);
}

// Module-wide: every channel's posts through one proxy share its tunnel's kept-alive connections.
const tunnels = createTunnelCache({ keepAlive: true });

/** One POST, directly or through the proxy the settings name; resolves with the status. */
function send(url: URL, payload: Buffer, options: PostJsonOptions): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const proxy = proxyFor(url, options.proxySettings ?? proxySettingsFromEnv(), options.proxy);
  const https = url.protocol === 'https:';
  const { tunnel, headers: routeHeaders, ...target } = proxyRoute(url, proxy, tunnels);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': payload.length,
    ...options.headers,
    ...routeHeaders,
  };
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      { ...target, method: 'POST', headers, ...(tunnel ? { agent: tunnel } : {}) },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => {
      const error = new Error('timed out');
      error.name = 'TimeoutError';
      req.destroy(error);
    }, timeoutMs);
    const unlisten = options.signal
      ? onAbort(options.signal, () => req.destroy(new Error('stopped')))
      : undefined;
    req.on('close', () => {
      clearTimeout(timer);
      unlisten?.();
    });
    req.on('error', reject);
    req.end(payload);
  });
}
