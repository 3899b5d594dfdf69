import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createIngestDouble,
  generateTestCertificates,
  type HttpProxy,
  type IngestDouble,
  runNodeScript,
  startHttpProxy,
  uniqueName,
  waitUntil,
} from '@faultline/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postJson } from '../../alerts/src/channels/post-json.js';
import { envelopeBytes, forwarderCli, produce } from './helpers.js';

// A network that reaches the ingest only through an HTTP proxy. The proxy is a real one, in its
// own process (the `proxy` package: CONNECT tunnels and plain forwarding); the ingest is the
// double, over HTTPS with a CA made for the run (trusted through NODE_EXTRA_CA_CERTS, as users
// trust a private CA) and over plain HTTP.
const certificates = generateTestCertificates(mkdtempSync(join(tmpdir(), 'faultline-proxy-tls-')));
let proxy: HttpProxy;
let httpsIngest: IngestDouble;
let httpIngest: IngestDouble;
beforeAll(async () => {
  proxy = await startHttpProxy();
  httpsIngest = await createIngestDouble({ tls: { cert: certificates.cert, key: certificates.key } });
  httpIngest = await createIngestDouble();
});
afterAll(async () => {
  await proxy?.close();
  await httpsIngest?.close();
  await httpIngest?.close();
});

/** Runs the forwarder CLI over a topic of `count` envelopes for `dsn` until they all arrive. */
async function forward(ingest: IngestDouble, dsn: string, env: Record<string, string>, count = 20) {
  const topic = uniqueName('proxied');
  await produce(
    inject('kafkaBrokers'),
    topic,
    Array.from({ length: count }, (_, i) => envelopeBytes(dsn, i)),
  );
  let child: ChildProcess | undefined;
  const run = runNodeScript(forwarderCli, {
    env: {
      PATH: process.env.PATH,
      NODE_EXTRA_CA_CERTS: certificates.caFile,
      FAULTLINE_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      FAULTLINE_FORWARDER_TOPIC: topic,
      FAULTLINE_FORWARDER_GROUP: uniqueName('proxied-group'),
      FAULTLINE_FORWARDER_ALLOWED_DSNS: dsn,
      ...env,
    },
    timeoutMs: 60_000,
    onSpawn: (c) => {
      child = c;
    },
  });
  const project = new URL(dsn).pathname.slice(1);
  const arrived = () =>
    ingest.requests.filter((r) => r.status === 200 && r.url.startsWith(`/api/${project}/`)).length;
  await waitUntil(() => arrived() >= count || undefined, {
    what: `${count} envelopes through the proxy`,
    timeoutMs: 30_000,
  });
  child?.kill('SIGTERM');
  const result = await run;
  expect(result.code, result.stderr).toBe(0);
}

describe('the forwarder and the alert channels behind an HTTP proxy', () => {
  it('tunnels HTTPS through the proxy (CONNECT) when HTTPS_PROXY is set', async () => {
    const seen = proxy.requests.length;
    await forward(httpsIngest, httpsIngest.dsn(3), { HTTPS_PROXY: proxy.url });
    const host = new URL(httpsIngest.url).host;
    const tunnels = proxy.requests.slice(seen);
    expect(tunnels.length).toBeGreaterThan(0);
    // Only tunnels: the proxy never saw a request line, so never an envelope.
    expect(tunnels.every((r) => r.method === 'CONNECT' && r.target === host)).toBe(true);
  });

  it('sends plain HTTP to the proxy, with the absolute URL, when HTTP_PROXY is set', async () => {
    const seen = proxy.requests.length;
    await forward(httpIngest, httpIngest.dsn(4), { http_proxy: proxy.url });
    const proxied = proxy.requests.slice(seen);
    expect(proxied.length).toBeGreaterThanOrEqual(20);
    expect(
      proxied.every((r) => r.method === 'POST' && r.target.startsWith(`${httpIngest.url}/api/4/envelope/`)),
    ).toBe(true);
    // The proxy's own mark on what it forwarded.
    expect(httpIngest.requests.at(-1)?.headers.via).toMatch(/proxy/);
  });

  it('goes direct to hosts NO_PROXY names, and when the flag says off', async () => {
    const seen = proxy.requests.length;
    await forward(httpsIngest, httpsIngest.dsn(5), {
      HTTPS_PROXY: proxy.url,
      NO_PROXY: 'localhost,127.0.0.1',
    });
    await forward(httpIngest, httpIngest.dsn(6), { HTTP_PROXY: proxy.url, FAULTLINE_FORWARDER_PROXY: 'off' });
    expect(proxy.requests.slice(seen)).toEqual([]);
  });

  it('posts alert notifications through the proxy, and directly to NO_PROXY hosts', async () => {
    const seen = proxy.requests.length;
    const url = `${httpIngest.url}/api/7/envelope/`;
    await postJson(url, { alert: 'spike' }, { attempts: 1, proxySettings: { httpProxy: proxy.url } });
    expect(proxy.requests.slice(seen)).toEqual([{ method: 'POST', target: url }]);
    await postJson(
      url,
      { alert: 'spike' },
      { attempts: 1, proxySettings: { httpProxy: proxy.url, noProxy: '127.0.0.1' } },
    );
    expect(proxy.requests.slice(seen)).toHaveLength(1);
  });
});
