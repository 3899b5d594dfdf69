import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.js';
import { waitUntil } from './wait-until.js';

/** One request the proxy received: `CONNECT 127.0.0.1:443`, or `POST http://host/path`. */
export interface ProxiedRequest {
  method: string;
  target: string;
}

export interface HttpProxy {
  /** e.g. `http://127.0.0.1:40123`: what HTTPS_PROXY / HTTP_PROXY are set to. */
  readonly url: string;
  /** Every request the proxy received so far, in order. */
  readonly requests: ProxiedRequest[];
  close(): Promise<void>;
}

/**
 * Starts a real HTTP proxy in a process of its own (the `proxy` package's server: plain HTTP
 * forwarding and CONNECT tunnels, as corporate proxies do), and records each request it receives
 * from its debug log.
 */
export async function startHttpProxy(): Promise<HttpProxy> {
  // The package exports only its library; its bin sits beside it.
  const bin = join(dirname(createRequire(import.meta.url).resolve('proxy')), 'bin', 'proxy.js');
  const port = await freePort();
  const child = spawn(process.execPath, [bin, '--port', String(port)], {
    env: { PATH: process.env.PATH, DEBUG: 'proxy*', DEBUG_COLORS: 'no' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const requests: ProxiedRequest[] = [];
  let listening = false;
  let pending = '';
  const read = (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.includes('listening on port')) listening = true;
      const match = /← ← ← ([A-Z]+) (\S+) HTTP\/1\.[01]/.exec(line);
      if (match?.[1] && match[2]) requests.push({ method: match[1], target: match[2] });
    }
  };
  child.stdout.on('data', read);
  child.stderr.on('data', read);
  await waitUntil(() => listening || undefined, {
    what: `the HTTP proxy on port ${port}`,
    timeoutMs: 15_000,
  });
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
