import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One kind of failure, for a share of requests and optionally one request class. */
export type IngestFault =
  | {
      kind: 'status';
      status: number;
      /** Answer at once, as a load balancer does (default), or after the round trip. */
      after?: 'now' | 'delay';
      headers?: Record<string, string>;
      rate?: number;
      projects?: string[];
      /** Only in periodic windows: `forMs` of every `everyMs`, the first after `offsetMs`. */
      storm?: { everyMs: number; forMs: number; offsetMs?: number };
    }
  | { kind: 'hang' | 'reset'; rate?: number; projects?: string[] }
  | { kind: 'down'; afterMs: number; forMs: number };

export interface FaultIngestStats {
  requests: number;
  /** Requests by what they got: a status (`'200'`, `'503'`), `'hang'` or `'reset'`. */
  byOutcome: Record<string, number>;
  /** 2xx answers, and how many of them repeated an event id already accepted. */
  accepted: number;
  duplicates: number;
  /** Distinct event ids accepted. */
  unique: number;
  /** Times in ms from the first request after `configure`. */
  firstAcceptAt: number | undefined;
  lastNewAt: number | undefined;
  /** Distinct event ids first accepted in each 100 ms. */
  timeline: number[];
  /** The storm windows and down spells, `[from, to]` ms. */
  storms: [number, number][];
  down: [number, number][];
  /**
   * 429s answered, and requests for a limited project inside its `Retry-After`: `violations` on
   * the connection that carried the 429 (sent after it was read, for certain), `late` on others
   * arriving over 200 ms after it was answered.
   */
  rateLimits: { answered: number; violations: number; late: number; worstMs: number };
}

export interface FaultIngest {
  /** e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  dsn(projectId?: number, publicKey?: string): string;
  /**
   * Sets the round trip and the faults, and clears the figures; times count from the next request.
   * Fault shares are drawn from a generator seeded with `seed` (default 1) at each call, so a run
   * gets the same faults for the same requests.
   */
  configure(settings: { delayMs?: number; faults?: IngestFault[]; seed?: number }): Promise<void>;
  stats(): Promise<FaultIngestStats>;
  close(): Promise<void>;
}

/**
 * Starts the fault server (`fault-ingest/server.mjs`) in a process of its own: an envelope
 * endpoint that answers like a real ingest behind a load balancer, including its failures (fast
 * 503s, storms, hangs, resets, an outage). A double for faults a real server cannot be made to
 * produce on demand; what a real ingest stores is checked against Bugsink.
 */
export async function startFaultIngest(): Promise<FaultIngest> {
  const script = fileURLToPath(new URL('../fault-ingest/server.mjs', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [ingestPort, controlPort] = await new Promise<[number, number]>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fault ingest exited with ${code}`)));
    child.stdout?.once('data', (text: Buffer) => {
      const match = /ingest (\d+) control (\d+)/.exec(String(text));
      if (match) resolve([Number(match[1]), Number(match[2])]);
      else reject(new Error(`fault ingest said: ${text}`));
    });
  });
  const control = `http://127.0.0.1:${controlPort}`;
  return {
    url: `http://127.0.0.1:${ingestPort}`,
    dsn: (projectId = 1, publicKey = 'publickey') =>
      `http://${publicKey}@127.0.0.1:${ingestPort}/${projectId}`,
    async configure(settings) {
      const res = await fetch(`${control}/configure`, { method: 'POST', body: JSON.stringify(settings) });
      await res.text();
    },
    async stats() {
      return (await (await fetch(`${control}/stats`)).json()) as FaultIngestStats;
    },
    close() {
      if (child.exitCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill();
      });
    },
  };
}
