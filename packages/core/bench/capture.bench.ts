import * as Sentry from '@sentry/node';
import { bench, describe } from 'vitest';
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
