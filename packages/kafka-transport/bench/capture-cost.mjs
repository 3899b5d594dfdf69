// Time the app spends per Sentry.captureException with a given transport, in a process of its
// own (the SDK is process-global). MODE=http: Sentry's default HTTP transport to a local
// envelope endpoint in this process; MODE=kafka: makeKafkaTransport to BROKERS.
// Prints JSON: the synchronous time of the call, and the time per event including the SDK's
// asynchronous processing and the hand-over to the transport (batches of 50, then flush).
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Sentry from '@sentry/node';
import { makeKafkaTransport } from '../dist/index.js';

const mode = process.env.MODE;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end('{}'));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const dsn = `http://publickey@127.0.0.1:${server.address().port}/1`;
const factory =
  mode === 'kafka'
    ? makeKafkaTransport({
        brokers: JSON.parse(process.env.BROKERS),
        topic: `capture-cost-${Date.now()}`,
        spool: { dir: mkdtempSync(join(tmpdir(), 'faultline-cost-')) },
      })
    : undefined;
Sentry.init({ dsn, ...(factory ? { transport: factory } : {}) });

let n = 0;
async function round(size) {
  let syncNs = 0n;
  for (let i = 0; i < size; i++) {
    const error = new Error(`capture ${n++}`);
    const t = process.hrtime.bigint();
    Sentry.captureException(error);
    syncNs += process.hrtime.bigint() - t;
  }
  await Sentry.flush(10_000);
  return syncNs;
}
for (let i = 0; i < 10; i++) await round(50); // warm up
const rounds = 60;
let sync = 0n;
const started = process.hrtime.bigint();
for (let i = 0; i < rounds; i++) sync += await round(50);
const total = Number(process.hrtime.bigint() - started);
const events = rounds * 50;
console.log(
  JSON.stringify({
    mode,
    events,
    syncMicrosPerCapture: Number(sync) / events / 1000,
    totalMicrosPerEvent: total / events / 1000,
    delivered: factory?.current?.stats().delivered,
  }),
);
await Sentry.close(2000);
await factory?.current?.close(2000);
server.close();
