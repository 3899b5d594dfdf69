import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPoster } from '../src/post-envelope.js';

// A real HTTP server that takes each request and never answers: the fault a real ingest cannot be
// made to produce on demand (a stalled upstream), so the stop has something to cut.
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
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
