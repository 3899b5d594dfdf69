// Peak RSS and what survives when 10,000 errors over 100 fingerprints are captured in one tick.
// MODE=stock: Sentry.init with Faultline's error policy as beforeSend, the SDK's default bound
// of 64 events in processing. MODE=stock-wide: the same with a bound of 5,000 (what a raised
// bound costs without deciding at capture). MODE=faultline: initObservability (policy at
// capture, bound 5,000). MODE=floor: Sentry.init whose client's captureException does nothing,
// so what is left is the loop's throw and Sentry's own share of the call (its synthetic Error,
// the scope): what no policy can save. The transport answers after 50 ms, as an ingest some way
// off would.
// Run by burst.bench.ts, one process per mode, so each RSS is its own.
import { silentLogger } from '@faultline/contract';
import { createErrorPolicy } from '@faultline/sampling';
import * as Sentry from '@sentry/node';
import { initObservability } from '../dist/index.js';

const mode = process.env.MODE;
const DSN = 'http://public@127.0.0.1:9/1';
const slowIngest = (options) =>
  Sentry.createTransport(
    options,
    () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200 }), 50)),
  );

let close;
if (mode === 'floor') {
  Sentry.init({ dsn: DSN, transport: slowIngest });
  Sentry.getClient().captureException = (_exception, hint) => hint?.event_id ?? '';
  close = () => Sentry.close(1000);
} else if (mode === 'faultline') {
  const handle = initObservability({ dsn: DSN, handleSignals: false, sentry: { transport: slowIngest } });
  close = () => handle.close(30_000);
} else {
  const policy = createErrorPolicy({ logger: silentLogger });
  Sentry.init({
    dsn: DSN,
    transport: slowIngest,
    beforeSend: (event, hint) => policy(event, hint),
    ...(mode === 'stock-wide' ? { transportOptions: { bufferSize: 5000 } } : {}),
  });
  close = () => Sentry.close(30_000);
}
const outcomes = {};
let events = 0;
Sentry.getClient().on('beforeEnvelope', (envelope) => {
  for (const [header, payload] of envelope[1]) {
    if (header.type === 'event') events++;
    if (header.type !== 'client_report') continue;
    for (const d of payload.discarded_events)
      outcomes[`${d.reason}:${d.category}`] = (outcomes[`${d.reason}:${d.category}`] ?? 0) + d.quantity;
  }
});

const kinds = Array.from(
  { length: 100 },
  (_, k) => `kind ${String.fromCharCode(97 + (k % 26))}${String.fromCharCode(97 + Math.floor(k / 26))}`,
);
globalThis.gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sample = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 5);
const started = performance.now();
// The app's next turn: what it waits for includes the promise callbacks the burst queued.
const nextTurn = new Promise((resolve) => setImmediate(() => resolve(performance.now() - started)));
for (let i = 0; i < 10_000; i++) {
  try {
    throw new Error(`record failed: ${kinds[i % 100]}`);
  } catch (error) {
    Sentry.captureException(error);
  }
}
const blockedMs = performance.now() - started;
peak = Math.max(peak, process.memoryUsage().rss);
const nextTurnMs = await nextTurn;
await close();
clearInterval(sample);
console.log(
  JSON.stringify({
    mode,
    eventsSent: events,
    outcomes,
    loopBlockedMs: Math.round(blockedMs),
    nextTurnMs: Math.round(nextTurnMs),
    baselineRssMb: Math.round(baseline / 1048576),
    peakRssMb: Math.round(peak / 1048576),
  }),
);
