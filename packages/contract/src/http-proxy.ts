import { type AgentOptions, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { type Parsed, parseUrl } from './settings/parse-setting.js';

/** A hostname as `node:http` wants it: an IPv6 literal without its brackets. */
const bare = (hostname: string) => (hostname.startsWith('[') ? hostname.slice(1, -1) : hostname);

/** Which proxy to use for what, as curl and Sentry's SDK read it from the environment. */
export interface ProxySettings {
  /** For `http:` URLs. Env: `http_proxy`, `HTTP_PROXY`. */
  httpProxy?: string;
  /** For `https:` URLs. Env: `https_proxy`, `HTTPS_PROXY`. */
  httpsProxy?: string;
  /** Hosts reached directly: `host`, `.domain` or `domain` (its subdomains too), `host:port`, `*`. Env: `no_proxy`, `NO_PROXY`. */
  noProxy?: string;
}

/** An explicit proxy setting (`--proxy`, `FAULTLINE_*_PROXY`): `off`, or an http(s) URL. */
export function parseProxySetting(text: string): Parsed<string | false> {
  if (text.toLowerCase() === 'off') return { ok: true, value: false };
  const url = parseUrl(text);
  return url.ok ? { ok: true, value: url.value.href } : { ok: false, expected: `off, or ${url.expected}` };
}

/** The proxy settings of the environment; the lower-case names win, as in curl. */
export function proxySettingsFromEnv(env: Record<string, string | undefined> = process.env): ProxySettings {
  const read = (name: string) => (env[name.toLowerCase()] ?? env[name.toUpperCase()])?.trim() || undefined;
  return { httpProxy: read('http_proxy'), httpsProxy: read('https_proxy'), noProxy: read('no_proxy') };
}

/**
 * The proxy to reach `target` through, or undefined to connect directly. An explicit proxy
 * (`explicit`, a URL) is used for every scheme; `false` turns proxies off.
 */
export function proxyFor(target: URL, settings: ProxySettings, explicit?: string | false): URL | undefined {
  if (explicit === false) return undefined;
  const proxy = explicit ?? (target.protocol === 'https:' ? settings.httpsProxy : settings.httpProxy);
  if (!proxy || bypasses(target, settings.noProxy)) return undefined;
  try {
    return new URL(proxy.includes('://') ? proxy : `http://${proxy}`);
  } catch {
    return undefined;
  }
}

function bypasses(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = bare(target.hostname).toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    // `host`, `host:port`, `[v6]:port`, or a bare IPv6 address (several colons, no port).
    const bareV6 = !entry.startsWith('[') && entry.split(':').length > 2;
    const match = bareV6 ? null : /^\[?(.*?)\]?(?::(\d+))?$/.exec(entry);
    const name = (match?.[1] ?? entry).replace(/^\*?\./, '');
    if (match?.[2] && match[2] !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** `Proxy-Authorization` for a proxy URL with credentials, else undefined. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username) return undefined;
  const user = decodeURIComponent(proxy.username);
  const password = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/**
 * An HTTPS agent whose connections are tunnelled through an HTTP proxy (`CONNECT host:port`),
 * then TLS to the target as without a proxy: the proxy sees the host, never the request.
 * Keep-alive and socket limits are the agent's own, as for a direct agent.
 */
export function createTunnelAgent(proxy: URL, options: AgentOptions = {}): HttpsAgent {
  const agent = new HttpsAgent(options);
  const authorization = proxyAuthorization(proxy);
  // Node's Agent takes a socket from createConnection's callback when it returns nothing.
  (agent as unknown as { createConnection: unknown }).createConnection = (
    target: ConnectionOptions & { host?: string; port?: number; servername?: string },
    callback: (error: Error | null, socket?: Socket) => void,
  ) => {
    const authority = `${target.host}:${target.port ?? 443}`;
    const connect = httpRequest({
      hostname: bare(proxy.hostname),
      port: proxy.port || 80,
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...(authorization ? { 'proxy-authorization': authorization } : {}) },
      agent: false,
      timeout: (options as { timeout?: number }).timeout,
    });
    connect.once('connect', (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        callback(new Error(`the proxy refused to tunnel to ${authority}: ${response.statusCode}`));
        return;
      }
      const secure = tlsConnect({ ...target, socket, servername: target.servername ?? target.host });
      callback(null, secure);
    });
    connect.once('timeout', () => connect.destroy(new Error('the proxy did not answer CONNECT in time')));
    connect.once('error', (error) => callback(error));
    connect.end();
    return undefined;
  };
  return agent;
}

/** One tunnel agent per proxy, made on first use, so connections through it are kept alive. */
export interface TunnelCache {
  get(proxy: URL): HttpsAgent;
  /** Destroys every tunnel agent (their sockets close). */
  close(): void;
}

export function createTunnelCache(options: AgentOptions = {}): TunnelCache {
  const tunnels = new Map<string, HttpsAgent>();
  return {
    get(proxy) {
      let tunnel = tunnels.get(proxy.href);
      if (!tunnel) {
        tunnel = createTunnelAgent(proxy, options);
        tunnels.set(proxy.href, tunnel);
      }
      return tunnel;
    },
    close() {
      for (const tunnel of tunnels.values()) tunnel.destroy();
      tunnels.clear();
    },
  };
}

/** Where a request to a URL is sent: the `node:http(s)` request options that differ by route. */
export interface ProxyRoute {
  /** IPv6 literals without their brackets, as `urlToHttpOptions` gives them. */
  hostname: string;
  port: string;
  path: string;
  /** `host` and `proxy-authorization` when the request goes to an HTTP proxy; else none. */
  headers: Record<string, string>;
  /** The CONNECT tunnel for HTTPS through a proxy; undefined: the caller's own agent. */
  tunnel?: HttpsAgent;
}

/**
 * How to reach `url`: directly when `proxy` is undefined; for HTTPS, through a CONNECT tunnel
 * (TLS runs end to end, the proxy sees only the host); for plain HTTP, to the proxy with the
 * absolute URL in the request line.
 */
export function proxyRoute(url: URL, proxy: URL | undefined, tunnels: TunnelCache): ProxyRoute {
  const direct = { hostname: bare(url.hostname), port: url.port, path: `${url.pathname}${url.search}` };
  if (!proxy) return { ...direct, headers: {} };
  if (url.protocol === 'https:') return { ...direct, headers: {}, tunnel: tunnels.get(proxy) };
  const authorization = proxyAuthorization(proxy);
  return {
    hostname: bare(proxy.hostname),
    port: proxy.port || '80',
    path: url.href,
    headers: { host: url.host, ...(authorization ? { 'proxy-authorization': authorization } : {}) },
  };
}
