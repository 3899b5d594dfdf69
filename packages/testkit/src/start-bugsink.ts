import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BugsinkClient, type BugsinkState, bugsinkApi, connectBugsink } from './bugsink-client.js';
import { ensureBugsink } from './ensure-bugsink.js';
import { freePort } from './free-port.js';
import { runStep } from './run-step.js';
import { type ServiceProcess, spawnService } from './service-process.js';
import { tailFile } from './tail.js';
import { waitUntil } from './wait-until.js';

export interface StartBugsinkOptions {
  /** Bound on start-up, install excluded. Default: 60 000 ms. */
  startTimeoutMs?: number;
}

export interface RunningBugsink extends BugsinkClient {
  /** What a test worker needs to reach this server (see `connectBugsink`). */
  readonly state: BugsinkState;
  stop(): Promise<void>;
}

/**
 * Starts Bugsink, a real Sentry-protocol server, on a free port: installed from PyPI into a
 * cached virtualenv, configured for synchronous digestion (an event is stored before the 200),
 * quotas raised, raw envelopes kept. Resolves once it answers its readiness check.
 */
export async function startBugsink(options: StartBugsinkOptions = {}): Promise<RunningBugsink> {
  const { startTimeoutMs = 60_000 } = options;
  const bin = ensureBugsink();
  const runDir = mkdtempSync(join(tmpdir(), 'faultline-bugsink-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const db = join(runDir, 'db.sqlite3');
  const logFile = join(runDir, 'gunicorn.log');
  const manage = (args: string[], step: string) =>
    runStep(join(bin, 'bugsink-manage'), args, { step, cwd: runDir, timeoutMs: 120_000 });

  runStep(join(bin, 'bugsink-create-conf'), ['--template=local', '--host=127.0.0.1', `--port=${port}`], {
    step: 'Writing the Bugsink configuration',
    cwd: runDir,
  });
  appendFileSync(join(runDir, 'bugsink_conf.py'), bugsinkOverrides(runDir));
  manage(['migrate', '--noinput'], 'Migrating the Bugsink database');
  manage(['migrate', 'snappea', '--database=snappea', '--noinput'], 'Migrating the Bugsink task database');
  const token = manage(['create_auth_token'], 'Creating a Bugsink API token').trim();

  const server: ServiceProcess = spawnService(
    join(bin, 'gunicorn'),
    ['--chdir', runDir, '--bind', `127.0.0.1:${port}`, '--workers', '2', 'bugsink.wsgi'],
    { cwd: runDir, logFile },
  );
  let exited: number | NodeJS.Signals | undefined;
  void server.exited.then((code) => {
    exited = code;
  });
  await waitUntil(
    async () => {
      if (exited !== undefined) throw new Error(`gunicorn exited with ${exited}`);
      const response = await fetch(`${url}/health/ready`);
      return response.ok;
    },
    { what: `Bugsink on ${url}`, timeoutMs: startTimeoutMs, describeFailure: () => tailFile(logFile) },
  ).catch(async (error: Error) => {
    await server.stop('SIGKILL');
    throw error;
  });

  const team = await bugsinkApi<{ id: string }>({ url, token }, 'teams/', { name: 'faultline-tests' });
  const state: BugsinkState = { url, token, teamId: team.id, db, bin, logFile };
  return {
    ...connectBugsink(state),
    state,
    async stop() {
      await server.stop('SIGTERM', 5_000);
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

function bugsinkOverrides(runDir: string): string {
  const path = (name: string) => JSON.stringify(join(runDir, name));
  return `
DATABASES["default"]["NAME"] = ${path('db.sqlite3')}
DATABASES["snappea"]["NAME"] = ${path('snappea.sqlite3')}
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
BUGSINK.update({
    "PHONEHOME": False,
    "INGEST_STORE_BASE_DIR": ${path('ingestion')},
    "KEEP_ENVELOPES": 10000,
    # The defaults (1,000 events per 5 minutes) would answer 429 in bulk tests.
    "MAX_EVENTS_PER_5_MINUTES": 10**7, "MAX_EVENTS_PER_HOUR": 10**7, "MAX_EVENTS_PER_MONTH": 10**8,
    "MAX_EVENTS_PER_PROJECT_PER_5_MINUTES": 10**7, "MAX_EVENTS_PER_PROJECT_PER_HOUR": 10**7,
    "MAX_EVENTS_PER_PROJECT_PER_MONTH": 10**8,
})
`;
}
