// The worker side of the observe pool: reads envelopes into observations off the main thread.
import { parentPort } from 'node:worker_threads';
import { observe } from './observations.js';

parentPort?.on('message', ({ id, values }: { id: number; values: Uint8Array[] }) => {
  const results = values.map((value) =>
    observe(Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
  );
  parentPort?.postMessage({ id, results });
});
