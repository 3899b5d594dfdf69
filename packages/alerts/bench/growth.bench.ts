import { fileURLToPath } from 'node:url';
import { runNodeScript } from '@faultline/testkit';
import { afterAll, bench, describe } from 'vitest';

// Growth: the alerts service's memory and rate at 10k, 100k and 1M distinct fingerprints over
// 1,000 projects, each size in processes of its own (RSS is the process's alone): the
// evaluation (observe() and the three rules) against a baseline that builds and parses the same
// envelopes and evaluates nothing. The rules' state is bounded (regression: 100,000
// fingerprints, 10,000 releases, 1,000 projects; spike and degradation: 10,000 subjects each),
// so what the rules hold must stop growing past those bounds.
const SIZES = [10_000, 100_000, 1_000_000];
const script = fileURLToPath(new URL('./alerts-memory.mjs', import.meta.url));
const results: Record<string, { rssMb: number; heapMb: number; rate: number }> = {};

async function run(n: number, mode: 'alerts' | 'baseline') {
  const result = await runNodeScript(script, {
    args: [String(n), mode],
    nodeArgs: ['--expose-gc'],
    timeoutMs: 300_000,
  });
  if (result.code !== 0)
    throw new Error(`alerts-memory.mjs ${n} ${mode} failed: ${result.stderr.slice(-1000)}`);
  results[`${mode} ${n}`] = JSON.parse(result.stdout.trim().split('\n').at(-1) as string);
}

const once = { iterations: 1, warmupIterations: 0, warmupTime: 0, time: 0 };
describe('growth: alerts evaluation at N distinct fingerprints, 1,000 projects', () => {
  for (const n of SIZES) {
    bench(`baseline: build and parse, ${n / 1000}k`, () => run(n, 'baseline'), once);
    bench(`alerts: observe and the three rules, ${n / 1000}k`, () => run(n, 'alerts'), once);
  }
});

afterAll(() => {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const lines = SIZES.map((n) => {
    const a = results[`alerts ${n}`];
    const b = results[`baseline ${n}`];
    if (!a || !b) return `${n / 1000}k: missing`;
    return `${n / 1000}k fingerprints (${fmt(2 * n)} envelopes): the rules hold ${(a.heapMb - b.heapMb).toFixed(1)} MB of heap, RSS ${fmt(a.rssMb)} MB against ${fmt(b.rssMb)} MB; ${fmt(a.rate)} envelopes/s against ${fmt(b.rate)}/s (${(a.rate / b.rate).toFixed(2)})`;
  });
  console.log(`growth: alerts evaluation (after a full collection):\n  ${lines.join('\n  ')}`);
});
