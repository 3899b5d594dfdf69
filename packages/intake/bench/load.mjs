// The load generator, in a process of its own: POSTs envelopes of SIZE bytes to URL over
// keep-alive connections. MODE=peak: CONNECTIONS requests in flight for SECONDS (closed loop),
// prints the rate of 200s. MODE=rate: RATE requests a second, open loop (sent on schedule whatever
// the answers), prints p50/p99 latency. Every envelope has its own event id.
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';

const url = new URL(process.env.URL);
const size = Number(process.env.SIZE);
const seconds = Number(process.env.SECONDS);
const agent = new Agent({ keepAlive: true, maxSockets: Number(process.env.CONNECTIONS ?? 64) });

function envelope() {
  const id = randomUUID().replace(/-/g, '');
  const event = {
    event_id: id,
    timestamp: Date.now() / 1000,
    platform: 'python',
    level: 'error',
    exception: {
      values: [
        {
          type: 'ValueError',
          value: 'failure',
          stacktrace: { frames: [{ filename: 'app.py', function: 'run', lineno: 10 }] },
        },
      ],
    },
    breadcrumbs: { values: [{ category: 'http', message: 'GET /orders' }] },
    extra: { padding: '' },
  };
  const base = JSON.stringify(event).length;
  event.extra.padding = 'x'.repeat(Math.max(0, size - base - 80));
  return Buffer.from(`{"event_id":"${id}"}\n{"type":"event"}\n${JSON.stringify(event)}\n`);
}

const post = (body) =>
  new Promise((resolve) => {
    const started = performance.now();
    const req = request(url, { method: 'POST', agent, headers: { 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started }));
    });
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.end(body);
  });

const bodies = Array.from({ length: 512 }, envelope);
const deadline = performance.now() + seconds * 1000;
let ok = 0;
let failed = 0;
const latencies = [];
if (process.env.MODE === 'peak') {
  let i = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const { status } = await post(bodies[i++ % bodies.length]);
      if (status === 200) ok++;
      else failed++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Number(process.env.CONNECTIONS ?? 64) }, worker));
  console.log(JSON.stringify({ rate: ok / ((performance.now() - started) / 1000), ok, failed }));
} else {
  const rate = Number(process.env.RATE);
  const pending = [];
  const started = performance.now();
  let sent = 0;
  while (performance.now() < deadline) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    while (sent < due) {
      pending.push(
        post(bodies[sent % bodies.length]).then(({ status, ms }) => {
          if (status === 200) ok++;
          else failed++;
          latencies.push(ms);
        }),
      );
      sent++;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  console.log(JSON.stringify({ p50: at(0.5), p99: at(0.99), ok, failed }));
}
agent.destroy();
