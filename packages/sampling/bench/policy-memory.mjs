// One size in a process of its own: the heap the error policy holds after one pass over N
// distinct fingerprints (argv: N, and the table's bound, default the policy's 10,000). Prints one
// JSON line.
import { silentLogger } from '@faultline/contract';
import { createErrorPolicy } from '../dist/index.js';

const n = Number(process.argv[2]);
const bound = process.argv[3] ? Number(process.argv[3]) : undefined;
const names = Array.from({ length: n }, (_, i) => `handler_${i.toString(36)}`);
const frame = { filename: 'app/orders.js', function: '', in_app: true };
const event = {
  level: 'error',
  exception: {
    values: [
      {
        type: 'TypeError',
        value: 'request 4123 failed for tenant 7: code E12',
        stacktrace: { frames: [frame] },
      },
    ],
  },
};
const heap = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const before = heap();
const policy = createErrorPolicy({
  sampleRate: 0.1,
  spike: false,
  logger: silentLogger,
  maxFingerprints: bound,
});
const started = performance.now();
for (let i = 0; i < n; i++) {
  frame.function = names[i];
  event.contexts = undefined;
  policy(event, {});
}
const nsPerDecision = ((performance.now() - started) * 1e6) / n;
const heldMb = (heap() - before) / 1048576;
// names is read again here so that it stays alive (and out of the difference) until now.
console.log(
  JSON.stringify({
    n: names.length,
    bound: bound ?? 10_000,
    heldMb,
    entries: policy.stats().fingerprints,
    nsPerDecision,
  }),
);
