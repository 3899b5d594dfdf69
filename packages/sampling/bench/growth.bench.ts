import { fileURLToPath } from 'node:url';
import { silentLogger } from '@faultline/contract';
import { runNodeScript } from '@faultline/testkit';
import type { ErrorEvent } from '@sentry/core';
import { afterAll, bench, describe } from 'vitest';
import { createErrorPolicy, createSeededRandom } from '../src/index.js';

// Growth: the error policy's decision time and memory at 10k, 100k and 1M distinct fingerprints,
// with its default bound (maxFingerprints 10,000, least recently seen forgotten first). Events
// cycle through the fingerprints in order, so past the bound every decision is a new fingerprint
// and an eviction: the worst case for the table. 10k, which fits, is the row the others are
// compared with. One reusable event per size has its top frame's function set per decision
// (distinct function names make distinct fingerprints; the message stays the bench's usual one).
const SIZES = [10_000, 100_000, 1_000_000];
const names = Array.from({ length: SIZES.at(-1) as number }, (_, i) => `handler_${i.toString(36)}`);

function eventSource(distinct: number) {
  const frame = { filename: 'app/orders.js', function: '', in_app: true };
  const event: ErrorEvent = {
    type: undefined,
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
  let i = 0;
  return () => {
    frame.function = names[i] as string;
    i = i + 1 === distinct ? 0 : i + 1;
    event.contexts = undefined;
    return event;
  };
}

const label = (n: number) => `${n / 1000}k`;
describe('growth: error policy decision at N distinct fingerprints (default bound 10,000)', () => {
  for (const n of SIZES) {
    const next = eventSource(n);
    const policy = createErrorPolicy({
      sampleRate: 0.1,
      spike: false,
      random: createSeededRandom(1),
      logger: silentLogger,
    });
    // The 10k row is named baseline: bench:check and the summary read growth against it.
    bench(n === SIZES[0] ? `baseline: ${label(n)} distinct` : `${label(n)} distinct`, () => {
      policy(next(), {});
    });
  }
});

// Memory in a process per size (the heap is the process's alone), and once with the bound raised
// to 1M, for what each tracked fingerprint costs.
afterAll(async () => {
  const script = fileURLToPath(new URL('./policy-memory.mjs', import.meta.url));
  const lines: string[] = [];
  for (const [n, bound] of [...SIZES.map((size) => [size]), [1_000_000, 1_000_000]] as [number, number?][]) {
    const run = await runNodeScript(script, {
      args: bound ? [String(n), String(bound)] : [String(n)],
      nodeArgs: ['--expose-gc'],
      timeoutMs: 120_000,
    });
    if (run.code !== 0) throw new Error(`policy-memory.mjs ${n} failed: ${run.stderr.slice(-1000)}`);
    const r = JSON.parse(run.stdout.trim().split('\n').at(-1) as string);
    lines.push(
      `${label(r.n)} distinct, bound ${r.bound.toLocaleString('en-US')}: holds ${r.heldMb.toFixed(1)} MB in ${r.entries.toLocaleString('en-US')} entries (${Math.round((r.heldMb * 1048576) / r.entries)} B each)`,
    );
  }
  console.log(
    `growth: error policy memory after one pass over N distinct fingerprints:\n  ${lines.join('\n  ')}`,
  );
}, 300_000);
