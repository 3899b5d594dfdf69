import { type ChildProcess, spawn } from 'node:child_process';
import { getEventListeners, once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPoster } from '../src/post-envelope.js';

// A real HTTP server that takes each request and never answers: the fault a real ingest cannot be
// made to produce on demand (a stalled upstream), so the stop has something to cut.
let server: Server | undefined;
let host: ChildProcess | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  }
  host?.kill('SIGKILL');
  host = undefined;
  for (const socket of sockets.splice(0)) socket.destroy();
});

async function neverAnswering(): Promise<{ url: URL; received: () => number }> {
  let received = 0;
  server = createServer((req) => {
    req.resume();
    req.on('end', () => received++);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/api/1/envelope/`), received: () => received };
}

describe('createPoster: requests cut by the stop signal', () => {
  it('300 requests on the wire hold one abort listener between them, and all reject when it fires', async () => {
    const { url, received } = await neverAnswering();
    const poster = createPoster({ timeoutMs: 30_000, compressAboveBytes: 1 << 20, maxSockets: 300 });
    const stop = new AbortController();
    const posts = Array.from({ length: 300 }, () =>
      poster.post(url, Buffer.from('{}\n'), 'publickey', stop.signal).then(
        () => 'answered',
        (error: Error) => error.message,
      ),
    );
    await vi.waitFor(() => expect(received()).toBe(300), { timeout: 5000 });
    // One listener per request would walk all of them on each add and each remove.
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
    stop.abort();
    const outcomes = await Promise.all(posts);
    expect(new Set(outcomes)).toEqual(new Set(['aborted: the forwarder is stopping']));
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    poster.close();
  });

  it('a signal that aborted already cuts a new request before it is sent', async () => {
    const { url } = await neverAnswering();
    const poster = createPoster({ timeoutMs: 30_000, compressAboveBytes: 1 << 20, maxSockets: 4 });
    const stopped = new AbortController();
    stopped.abort();
    await expect(poster.post(url, Buffer.from('{}\n'), 'publickey', stopped.signal)).rejects.toThrow(
      'aborted: the forwarder is stopping',
    );
    poster.close();
  });
});

/** A host that never accepts: its queue is filled first, so the next connect hangs (see the fixture). */
async function neverAccepting(): Promise<URL> {
  host = spawn(
    process.execPath,
    [fileURLToPath(new URL('./fixtures/never-accepting.mjs', import.meta.url))],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [line] = (await once(host.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  const port = Number(String(line).trim());
  // The kernel completes a handshake or two for a backlog of 1: connect until one hangs, so the
  // queue is full before the request under test connects.
  for (let i = 0; i < 16; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    sockets.push(socket);
    const connected = await Promise.race([
      once(socket, 'connect').then(() => true),
      new Promise((resolve) => setTimeout(resolve, 300, false)),
    ]);
    if (!connected) break;
  }
  return new URL(`http://127.0.0.1:${port}/api/1/envelope/`);
}

/** Posts a small envelope with `timeoutMs: 300`: it must be rejected at 300 ms, not hang. */
async function expectCutAt300Ms(url: URL, message?: string): Promise<void> {
  const poster = createPoster({ timeoutMs: 300, compressAboveBytes: 1 << 20, maxSockets: 4 });
  const started = performance.now();
  await expect(poster.post(url, Buffer.from('{}\n'), 'publickey')).rejects.toThrow(message);
  const elapsed = performance.now() - started;
  expect(elapsed).toBeGreaterThanOrEqual(290);
  expect(elapsed).toBeLessThan(5000);
  poster.close();
}

describe('createPoster: each phase of a request has a bound', () => {
  it('cuts an envelope whose connection is never accepted at timeoutMs', async () => {
    const url = await neverAccepting();
    await expectCutAt300Ms(url, 'no progress within 300 ms');
  });

  it('cuts an answer whose body never ends at timeoutMs', async () => {
    // Headers and a first part of the body, then nothing: a proxy that stalled mid-answer.
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('{"id":');
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const url = new URL(`http://127.0.0.1:${port}/api/1/envelope/`);
    // Node's idle timer on the socket cuts it: the request errs, and so does the answer.
    await expectCutAt300Ms(url);
  });

  it('still answers a request whose upstream answered before reading the body', async () => {
    // A 413 for a body the upstream will not read: the answer comes while the body is sent.
    server = createServer((_req, res) => {
      res.writeHead(413, { connection: 'close' });
      res.end();
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const url = new URL(`http://127.0.0.1:${port}/api/1/envelope/`);
    const poster = createPoster({ timeoutMs: 300, compressAboveBytes: 1 << 30, maxSockets: 4 });
    const result = await poster
      .post(url, Buffer.alloc(32 * 1024, 'x'), 'publickey')
      .catch((error: Error) => error);
    // Either the 413 or a reset while sending (the upstream closed): never a hang.
    if (result instanceof Error) expect(result.message).not.toMatch(/within/);
    else expect(result.status).toBe(413);
    poster.close();
  });
});
