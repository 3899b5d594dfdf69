// The quickstart service: a small shop API. Errors are captured where they are handled; Faultline
// (set up in instrument.mjs) decides which reach Sentry and how.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import * as Sentry from '@sentry/node';
import { observability } from './instrument.mjs';

const stock = new Map([
  ['kettle', 12],
  ['teapot', 3],
]);

const routes = {
  // A real bug: some clients send truncated JSON, and this handler trusts the body.
  'POST /checkout': async (request) => {
    const order = JSON.parse(await readBody(request));
    return [201, { id: randomUUID(), total: order.total }];
  },
  'GET /inventory': (_request, url) => {
    const sku = url.searchParams.get('sku') ?? '';
    const level = stock.get(sku) ?? -1;
    if (level < 0) throw new RangeError(`stock level below zero for sku ${sku}`);
    return [200, { sku, level }];
  },
  'GET /coupon': async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    throw new Error('coupon service timed out after 2000 ms');
  },
  // Faultline's counters, exported as the service's own metrics.
  'GET /metrics': () => [200, { ...observability.stats(), rssBytes: process.memoryUsage().rss }],
};

const server = createServer(async (request, response) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const route = routes[`${request.method} ${url.pathname}`];
  let status = 404;
  let body = { error: 'not found' };
  if (route) {
    try {
      [status, body] = await route(request, url);
    } catch (error) {
      Sentry.captureException(error);
      [status, body] = [500, { error: 'internal error' }];
    }
  }
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
});

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`quickstart: listening on http://127.0.0.1:${server.address().port}`);
});

// Graceful shutdown: stop taking requests, then send what Faultline still holds.
process.once('SIGTERM', async () => {
  server.close();
  const flushed = await observability.close(10_000);
  console.log(`quickstart: stopped; telemetry ${flushed ? 'all sent' : 'partly left in the spool'}`);
  process.exit(0);
});

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
