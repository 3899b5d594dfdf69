import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type Observation, observe } from './observations.js';

/** A worker's share of a batch against the main thread's (measured best on 2 cores). */
const SHARE = 2;
/** Values larger than this are read on the main thread (see `observe`). */
const READ_HERE_ABOVE = 1024 * 1024;
const EMPTY = Buffer.alloc(0);

export interface ObservePool {
  /** The observations of each value, in order; `undefined` for a value that cannot be read. */
  observe(values: Buffer[]): Promise<(Observation[] | undefined)[]>;
  readonly workers: number;
  close(): Promise<void>;
}

/**
 * Parsing envelopes is most of the alerts' work (each item's JSON), so it runs on worker
 * threads, a batch split across them, while the main thread keeps consuming and evaluating in
 * order. With one core, or where the built worker is missing (the sources under a test runner),
 * it parses on the main thread.
 */
export function createObservePool(size = Math.min(4, availableParallelism() - 1)): ObservePool {
  const script = fileURLToPath(new URL('./observe-worker.js', import.meta.url));
  if (size < 1 || !existsSync(script)) {
    return { workers: 0, observe: async (values) => values.map(observe), close: async () => undefined };
  }
  let workers = Array.from({ length: size }, () => new Worker(script));
  const waiting = new Map<
    number,
    { resolve: (results: (Observation[] | undefined)[]) => void; values: Buffer[]; worker: Worker }
  >();
  let next = 0;
  for (const worker of workers) {
    worker.unref();
    worker.on('message', ({ id, results }: { id: number; results: (Observation[] | undefined)[] }) => {
      waiting.get(id)?.resolve(results);
      waiting.delete(id);
    });
    // A worker that dies takes no batch with it: its pending ones are read here, and it leaves the pool.
    const retire = () => {
      workers = workers.filter((w) => w !== worker);
      for (const [id, entry] of waiting) {
        if (entry.worker !== worker) continue;
        waiting.delete(id);
        entry.resolve(entry.values.map(observe));
      }
    };
    worker.on('error', retire);
    worker.on('exit', retire);
  }
  const run = (worker: Worker, values: Buffer[]) =>
    new Promise<(Observation[] | undefined)[]>((resolve) => {
      const id = next++;
      waiting.set(id, { resolve, values, worker });
      // KafkaJS's values are views into its fetch and decompression buffers, and posting a view
      // copies the whole buffer behind it: the values are packed into one buffer of their own
      // and that is moved to the worker, not copied.
      let total = 0;
      for (const value of values) total += value.length;
      const packed = Buffer.allocUnsafeSlow(total);
      const ends = new Array<number>(values.length);
      let at = 0;
      for (let i = 0; i < values.length; i++) {
        at += (values[i] as Buffer).copy(packed, at);
        ends[i] = at;
      }
      const buffer = packed.buffer as ArrayBuffer;
      worker.postMessage({ id, buffer, ends }, [buffer]);
    });

  /** A batch split between the main thread and the workers, read in order. */
  async function observeShared(values: Buffer[]): Promise<(Observation[] | undefined)[]> {
    // The main thread reads a share too while the workers read theirs, a smaller one: it also
    // runs KafkaJS and the rules. A worker gets SHARE times the main thread's share.
    const unit = Math.ceil(values.length / (SHARE * workers.length + 1));
    const parts: Promise<(Observation[] | undefined)[]>[] = [];
    for (let i = 0; i < workers.length && unit + SHARE * i * unit < values.length; i++) {
      parts.push(
        run(workers[i] as Worker, values.slice(unit + SHARE * i * unit, unit + SHARE * (i + 1) * unit)),
      );
    }
    const own = values.slice(0, unit).map(observe);
    return [own, ...(await Promise.all(parts))].flat();
  }

  return {
    workers: size,
    async observe(values) {
      if (values.length < 16 || workers.length === 0) return values.map(observe);
      // A large value would be copied to a worker whole, though its items are too large to be
      // parsed: it is read here (its header only), and the worker gets an empty stand-in.
      let local: Map<number, Observation[] | undefined> | undefined;
      for (let i = 0; i < values.length; i++) {
        const value = values[i] as Buffer;
        if (value.length <= READ_HERE_ABOVE) continue;
        local ??= new Map();
        local.set(i, observe(value));
        if (local.size === 1) values = values.slice();
        values[i] = EMPTY;
      }
      const results = await observeShared(values);
      if (local) for (const [i, result] of local) results[i] = result;
      return results;
    },
    async close() {
      const all = workers;
      workers = [];
      await Promise.all(all.map((worker) => worker.terminate()));
    },
  };
}
