// One size in a process of its own: the alerts service's evaluation (observe() on the envelope
// bytes, then the three rules, minutes closed as the clock passes them) over N distinct
// fingerprints (argv) spread over 1,000 projects and one hour of event time, each fingerprint
// seen twice, with releases changing so the regression rule tracks them. The Kafka consumer in
// front of it holds the same whatever the fingerprints, so it is left out. Prints one JSON line:
// RSS and heap after a full collection, the peak RSS, and envelopes evaluated per second.
// With `baseline` as the second argument the same envelopes are built and their JSON parsed, and
// nothing is evaluated: what the process holds without the rules (the names of a million
// fingerprints alone are 40 MB here).
import { createAlertEvaluator, observe } from '../dist/index.js';

const n = Number(process.argv[2]);
const baseline = process.argv[3] === 'baseline';
const PROJECTS = 1000;
const HOUR = 3_600_000;
const names = Array.from({ length: n }, (_, i) => `handler_${i.toString(36)}`);
const dsns = Array.from({ length: PROJECTS }, (_, p) => `http://publickey@127.0.0.1:9/${p + 1}`);
const end = Date.UTC(2026, 11, 5, 12, 0, 0);
const start = end - HOUR;
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);

function envelope(i, at) {
  const header = JSON.stringify({ dsn: dsns[i % PROJECTS], sent_at: new Date(at).toISOString() });
  const event = JSON.stringify({
    event_id: (i + 1).toString(16).padStart(32, '0'),
    level: 'error',
    release: `shop@1.${Math.floor((at - start) / (HOUR / 4))}.0`,
    timestamp: at / 1000,
    exception: {
      values: [
        {
          type: 'TypeError',
          value: 'request 4123 failed for tenant 7',
          stacktrace: {
            frames: [{ filename: 'app/orders.js', function: names[i], lineno: 10, in_app: true }],
          },
        },
      ],
    },
    contexts: i % 4 === 0 ? { sampling: { dropped_since_last_kept: 9, sample_rate: 0.1 } } : {},
  });
  return Buffer.from(`${header}\n{"type":"event","length":${Buffer.byteLength(event)}}\n${event}\n`);
}

const evaluator = createAlertEvaluator();
const total = 2 * n;
let minute = -1;
const started = performance.now();
for (let k = 0; k < total; k++) {
  const at = start + Math.floor((k / total) * HOUR);
  const bytes = envelope(k % n, at);
  if (baseline) {
    const lines = bytes.toString('utf8').split('\n');
    if (!JSON.parse(lines[0]).dsn || !JSON.parse(lines[2]).exception) throw new Error('bad envelope');
    continue;
  }
  const observations = observe(bytes);
  if (!observations) throw new Error('an envelope was unreadable');
  evaluator.observe(observations, at);
  const m = Math.floor(at / 60_000);
  if (m !== minute) {
    minute = m;
    evaluator.tick(at);
  }
}
const seconds = (performance.now() - started) / 1000;
evaluator.tick(end + 60_000);
globalThis.gc?.();
globalThis.gc?.();
const { rss, heapUsed } = process.memoryUsage();
clearInterval(sampler);
console.log(
  JSON.stringify({
    mode: baseline ? 'baseline' : 'alerts',
    n: names.length,
    projects: PROJECTS,
    envelopes: total,
    rssMb: rss / 1048576,
    heapMb: heapUsed / 1048576,
    peakRssMb: Math.max(peak, rss) / 1048576,
    rate: total / seconds,
  }),
);
