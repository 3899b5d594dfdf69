import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TESTKIT_DIR } from './cache-dir.js';
import { waitUntil } from './wait-until.js';

const execFileAsync = promisify(execFile);

/** Serializable facts about a running Bugsink, passed from the global setup to test workers. */
export interface BugsinkState {
  url: string;
  token: string;
  teamId: string;
  /** Path of its SQLite database. */
  db: string;
  /** The venv's bin folder (its Python reads the database). */
  bin: string;
  logFile: string;
}

export interface BugsinkProject {
  readonly id: number;
  /** The project's DSN, e.g. `http://<key>@127.0.0.1:<port>/<id>`. */
  readonly dsn: string;
}

/** An event as Bugsink stored it. `data` is the event payload, re-serialized by Bugsink. */
export interface StoredEvent {
  event_id: string;
  release: string;
  environment: string;
  level: string;
  platform: string;
  data: {
    [key: string]: unknown;
    tags?: Record<string, string> | [string, string][];
    contexts?: Record<string, Record<string, unknown>>;
  };
}

export interface BugsinkClient {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Creates a project of its own for a test; its DSN has a fresh key. */
  createProject(name: string): Promise<BugsinkProject>;
  /** The events a project stored, oldest first. */
  events(projectId: number): Promise<StoredEvent[]>;
  /** Waits until a project has stored at least `count` events, and returns them. */
  waitForEvents(projectId: number, count: number, timeoutMs?: number): Promise<StoredEvent[]>;
  /** The raw (decompressed) envelopes Bugsink received for a project, every item type included. */
  envelopes(projectId: number): Promise<Buffer[]>;
}

/** Calls Bugsink's REST API ("canonical API", bearer token). */
export async function bugsinkApi<T>(
  server: { url: string; token: string },
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${server.url}/api/canonical/0/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    throw new Error(`Bugsink API ${path} answered ${response.status}: ${await response.text()}`);
  }
  return (await response.json()) as T;
}

/** A client for a Bugsink that `startBugsink()` started, usable from any process. */
export function connectBugsink(state: BugsinkState): BugsinkClient {
  // Read straight from SQLite: Bugsink's REST API has no way to list a project's events with
  // their payloads in one call, and Python's sqlite3 is in the venv already.
  const readStore = async <T>(what: 'events' | 'envelopes', projectId: number): Promise<T> => {
    const { stdout } = await execFileAsync(
      join(state.bin, 'python'),
      [join(TESTKIT_DIR, 'bugsink', 'read-store.py'), state.db, what, String(projectId)],
      { maxBuffer: 256 * 1024 * 1024 },
    );
    return JSON.parse(stdout) as T;
  };
  const events = (projectId: number) => readStore<StoredEvent[]>('events', projectId);

  return {
    url: state.url,
    async createProject(name) {
      const created = await bugsinkApi<{ id: string | number }>(state, 'projects/', {
        team: state.teamId,
        name,
        alert_on_new_issue: false,
        alert_on_regression: false,
        alert_on_unmute: false,
      });
      const project = await bugsinkApi<{ id: number; dsn: string }>(state, `projects/${created.id}/`);
      return { id: Number(project.id), dsn: project.dsn };
    },
    events,
    waitForEvents(projectId, count, timeoutMs = 30_000) {
      return waitUntil(
        async () => {
          const stored = await events(projectId);
          return stored.length >= count ? stored : undefined;
        },
        { what: `${count} event(s) in Bugsink project ${projectId}`, timeoutMs, intervalMs: 200 },
      );
    },
    async envelopes(projectId) {
      const rows = await readStore<{ data: string }[]>('envelopes', projectId);
      return rows.map((row) => Buffer.from(row.data, 'base64'));
    },
  };
}
