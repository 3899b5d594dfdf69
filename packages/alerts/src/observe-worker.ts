// The worker side of the observe pool: reads envelopes into observations off the main thread.
import { parentPort } from 'node:worker_threads';
import { observe } from './observations.js';

// The values come packed in one moved buffer, each ending at its offset in `ends`.
parentPort?.on('message', ({ id, buffer, ends }: { id: number; buffer: ArrayBuffer; ends: number[] }) => {
  const results = ends.map((end, i) => {
    const start = i === 0 ? 0 : (ends[i - 1] as number);
    return observe(Buffer.from(buffer, start, end - start));
  });
  parentPort?.postMessage({ id, results });
});
