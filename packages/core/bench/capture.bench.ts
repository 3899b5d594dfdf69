import { fileURLToPath } from 'node:url';
import { runNodeScript } from '@faultline/testkit';
import * as Sentry from '@sentry/node';
import { afterAll, bench, describe } from 'vitest';
import { initObservability, type ObservabilityHandle } from '../src/index.js';

// What Faultline adds to each captured error (the error policy, service and runtime context on
// the global scope, the exit hook's send counter), against plain Sentry.init with the same options. Each iteration
// captures one error and waits until the transport has it, so the whole in-process path is timed
// and no event is dropped for a full buffer; the transport itself accepts everything at once.
const DSN = 'http://public@127.0.0.1:9/1';
let count = 0;
let delivered: (() => void) | undefined;

const acceptAll = (options: Parameters<typeof Sentry.makeNodeTransport>[0]) =>
  Sentry.createTransport(options, () => {
    delivered?.();
    return Promise.resolve({ statusCode: 200 });
  });

async function captureOne(): Promise<void> {
  const sent = new Promise<void>((resolve) => {
    delivered = resolve;
  });
  // A new message each time: Sentry's dedupe integration drops an error identical to the last one.
  Sentry.captureException(new Error(`benchmark error ${count++}`));
  await sent;
}

let handle: ObservabilityHandle | undefined;
const common = { time: 3000, warmupTime: 500 };

describe('captureException, per event, until the transport has it', () => {
  bench('baseline: Sentry.init', captureOne, {
    ...common,
    setup: () => {
      Sentry.init({ dsn: DSN, transport: acceptAll, release: 'bench@1.0.0', environment: 'bench' });
    },
    teardown: () => Sentry.close(0).then(() => undefined),
  });

  bench('initObservability', captureOne, {
    ...common,
    setup: () => {
      handle = initObservability({
        dsn: DSN,
        release: 'bench@1.0.0',
        environment: 'bench',
        service: 'bench',
        handleSignals: false,
        // The error policy runs on every event but keeps them all: the bench waits for each one.
        sampling: { errors: { keepFirstPerFingerprint: 1_000_000, spike: false } },
        sentry: { transport: acceptAll },
      });
    },
    teardown: () => handle?.close(0).then(() => undefined),
  });
});

// A burst of 10,000 errors over 100 fingerprints in one tick, each mode in a process of its own
// (the SDK is process-global and RSS must be the mode's alone): stock Sentry with the same
// policy as beforeSend is the baseline; stock with the bound raised shows what deciding at
// capture saves; the floor is the loop with a client that does nothing (the throw and Sentry's
// own share of captureException), which no policy can go below. Printed at the end.
afterAll(async () => {
  // pnpm bench:check compares rates only; the burst runs in pnpm bench.
  if (process.env.FAULTLINE_BENCH_QUICK) return;
  const script = fileURLToPath(new URL('./burst-rss.mjs', import.meta.url));
  const modes = ['floor', 'stock', 'stock-wide', 'faultline'];
  const runs = new Map<string, BurstRun[]>(modes.map((mode) => [mode, []]));
  // One run of a mode varies by a fifth on this shared machine: rounds alternate the modes, so
  // each median is taken over the same stretch of time as its floor's.
  for (let round = 0; round < BURST_ROUNDS; round++) {
    for (const mode of modes) {
      const result = await runNodeScript(script, {
        env: { ...process.env, MODE: mode },
        nodeArgs: ['--expose-gc'],
        timeoutMs: 120_000,
      });
      try {
        runs.get(mode)?.push(JSON.parse(result.stdout.trim()) as BurstRun);
      } catch {
        console.log(`burst, ${mode}: no result: ${result.stderr.slice(-500)}`);
      }
    }
  }
  for (const [mode, list] of runs) {
    if (list.length === 0) continue;
    const last = list[list.length - 1] as BurstRun;
    console.log(
      `burst of 10,000 errors in one tick, ${mode}: next turn after ${median(list.map((r) => r.nextTurnMs))} ms ` +
        `(median of ${list.length}: ${list.map((r) => r.nextTurnMs).join(', ')}), ` +
        `peak RSS +${list.map((r) => r.peakRssMb - r.baselineRssMb).join('/')} MB, ` +
        `last run: ${last.eventsSent} sent, outcomes ${JSON.stringify(last.outcomes)}`,
    );
  }
}, 900_000);

const BURST_ROUNDS = 5;

/** What burst-rss.mjs prints. */
interface BurstRun {
  eventsSent: number;
  outcomes: Record<string, number>;
  nextTurnMs: number;
  baselineRssMb: number;
  peakRssMb: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}
