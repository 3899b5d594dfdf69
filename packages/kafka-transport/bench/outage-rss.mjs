// Peak RSS while 1,000,000 envelopes arrive during a broker outage (nothing listens on the
// broker port): memory must stay bounded, the rest goes to the spool on disk.
// Run by transport.bench.ts in a process of its own, so its RSS is this scenario's alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@faultline/contract';
import { createEnvelope } from '@sentry/core';
import { makeKafkaTransport } from '../dist/index.js';

const TOTAL = Number(process.env.ENVELOPES ?? 1_000_000);
const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});
const dir = mkdtempSync(join(tmpdir(), 'faultline-rss-'));
const factory = makeKafkaTransport({
  brokers: [`127.0.0.1:${port}`],
  topic: 'outage',
  spool: { dir, maxBytes: 2 * 1024 * 1024 * 1024 },
  ...(process.env.QUEUE_BYTES ? { maxQueueBytes: Number(process.env.QUEUE_BYTES) } : {}),
  retryBackoff: { initialMs: 1000, maxMs: 30_000 },
  logger: silentLogger,
});
const transport = factory({
  url: `http://127.0.0.1:9/api/1/envelope/?sentry_key=k`,
  recordDroppedEvent: () => {},
});

globalThis.gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
let peakHeap = 0;
const sample = setInterval(() => {
  const m = process.memoryUsage();
  peak = Math.max(peak, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed + m.external);
}, 20);
const started = Date.now();
for (let i = 0; i < TOTAL; i++) {
  const id = i.toString(16).padStart(32, '0');
  transport.send(
    createEnvelope({ event_id: id, sent_at: new Date().toISOString() }, [
      [
        { type: 'event' },
        { event_id: id, level: 'error', message: `outage envelope ${i}`, tags: { n: String(i % 100) } },
      ],
    ]),
  );
  // Let the transport's timers run now and then, as an app's event loop would.
  if (i % 2000 === 0) await new Promise((resolve) => setImmediate(resolve));
}
await transport.flush(60_000);
peak = Math.max(peak, process.memoryUsage().rss);
clearInterval(sample);
const stats = transport.stats();
const seconds = (Date.now() - started) / 1000;
console.log(
  JSON.stringify({
    envelopes: TOTAL,
    seconds,
    baselineRssMb: Math.round(baseline / 1048576),
    peakRssMb: Math.round(peak / 1048576),
    peakHeapAndExternalMb: Math.round(peakHeap / 1048576),
    inSpool: stats.inSpool,
    spooled: stats.spooled,
    dropped: stats.dropped,
  }),
);
await transport.close(1000);
rmSync(dir, { recursive: true, force: true });
