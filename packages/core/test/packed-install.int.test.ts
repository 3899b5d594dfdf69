import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BugsinkClient,
  connectBugsink,
  createIngestDouble,
  createTopic,
  freePort,
  type IngestDouble,
  readTopic,
  runNodeScript,
  startKafka,
  uniqueName,
  waitUntil,
} from '@faultline/testkit';
import type { Event } from '@sentry/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// The packages as users meet them: packed (workspace ranges rewritten), installed with npm from
// the tarballs into fresh projects that have nothing else but registry packages. Workspace links
// hide packaging mistakes (a missing file, a dependency only the workspace has); this does not.
// Two projects: an HTTP-only service (must not get kafkajs, must type-check without it), and a
// Kafka pipeline (service, broker, the forwarder's bin, Bugsink) whose top-level @sentry/core is
// another version than the one @sentry/node pins, as a hoisted copy from some other dependency.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const LIBRARIES = ['contract', 'sampling', 'scrubbing', 'spool', 'kafka-transport', 'kafkajs', 'core'];
const sentryVersion = JSON.parse(
  readFileSync(join(root, 'packages/core/node_modules/@sentry/node/package.json'), 'utf8'),
).version as string;
// Another @sentry/core than @sentry/node's: Sentry keys its global state by this version.
const OTHER_SENTRY_CORE = '11.11.0';

let dir: string;
let tarball: (name: string) => string;
let ingest: IngestDouble;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-packed-'));
  const tarballs = join(dir, 'tarballs');
  mkdirSync(tarballs);
  // `pnpm pack` rewrites workspace ranges as `pnpm publish` will; the pinned pnpm, as scripts/run.mjs finds it.
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.replace(
    /^pnpm@/,
    '',
  );
  const onPath = spawnSync('pnpm', ['--version'], { encoding: 'utf8' }).stdout?.trim() === pinned;
  const [pnpm, ...prefix] = onPath ? ['pnpm'] : ['npx', '--yes', `pnpm@${pinned}`];
  for (const name of [...LIBRARIES, 'forwarder', 'alerts', 'intake']) {
    execFileSync(pnpm as string, [...prefix, 'pack', '--pack-destination', tarballs], {
      cwd: join(root, 'packages', name),
      stdio: 'ignore',
    });
  }
  const files = readdirSync(tarballs);
  tarball = (name) => {
    const file = files.find((f) => f.startsWith(`faultline-${name}-`));
    if (!file) throw new Error(`no tarball for @faultline/${name}`);
    return `file:${join(tarballs, file)}`;
  };
}, 300_000);

/** A fresh npm project with these dependencies; the other Faultline packages come from the tarballs. */
function installProject(
  name: string,
  dependencies: Record<string, string>,
  devDependencies: Record<string, string> = {},
  npmFlags: string[] = [],
): string {
  const project = join(dir, name);
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name,
      version: '1.0.0',
      private: true,
      dependencies,
      devDependencies,
      // The Faultline packages are not published: the tarballs stand in for the registry.
      overrides: Object.fromEntries(LIBRARIES.map((n) => [`@faultline/${n}`, tarball(n)])),
    }),
  );
  const installed = spawnSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', ...npmFlags],
    {
      cwd: project,
      encoding: 'utf8',
    },
  );
  if (installed.status !== 0) throw new Error(`npm install in ${name} failed:\n${installed.stderr}`);
  return project;
}

describe('an HTTP-only service, from the packed packages', () => {
  let project: string;
  beforeAll(async () => {
    ingest = await createIngestDouble();
    project = installProject(
      'http-app',
      { '@faultline/core': tarball('core'), '@sentry/node': sentryVersion },
      { typescript: '5.9.3', '@types/node': '^20.19.0' },
    );
  }, 300_000);
  afterAll(() => ingest?.close());

  it('installs without kafkajs', () => {
    expect(existsSync(join(project, 'node_modules', '@faultline', 'core', 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'kafkajs'))).toBe(false);
  });

  it('type-checks without kafkajs, library declarations included (skipLibCheck off)', () => {
    writeFileSync(
      join(project, 'service.ts'),
      `import { initObservability, type FaultlineOptions } from '@faultline/core';
const options: FaultlineOptions = { service: 'typed', handleSignals: false };
export const observability = initObservability(options);
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          types: ['node'],
        },
        files: ['service.ts'],
      }),
    );
    const checked = spawnSync(join(project, 'node_modules', '.bin', 'tsc'), ['-p', '.'], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.status).toBe(0);
  });

  it('prints the release name with the faultline bin, as docs/releases.md has CI do', () => {
    const printed = execFileSync(join(project, 'node_modules', '.bin', 'faultline'), ['release'], {
      cwd: project,
      env: { PATH: process.env.PATH, GITHUB_SHA: '0123456789abcdef0123' },
      encoding: 'utf8',
    });
    expect(printed).toBe('http-app@1.0.0+0123456789ab\n');
  });

  it('starts from the environment alone with --import @faultline/core/init, and refuses bad settings with 78', async () => {
    const file = join(project, 'preloaded.mjs');
    writeFileSync(
      file,
      `import * as Sentry from '@sentry/node';
import { currentObservability } from '@faultline/core';
Sentry.captureException(new Error('preloaded from the environment'));
console.log('closed', await currentObservability().close(5000), currentObservability() === undefined);
`,
    );
    const env = { PATH: process.env.PATH, FAULTLINE_SERVICE: 'preloaded', FAULTLINE_HANDLE_SIGNALS: 'false' };
    const started = await runNodeScript(file, {
      cwd: project,
      nodeArgs: ['--import', '@faultline/core/init'],
      env: { ...env, SENTRY_DSN: ingest.dsn(5) },
    });
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain('closed true true');
    const event = ingest
      .items<Event>('event')
      .find((e) => e.exception?.values?.at(-1)?.value === 'preloaded from the environment');
    expect(event?.tags).toMatchObject({ service: 'preloaded' });

    const refused = await runNodeScript(file, {
      cwd: project,
      nodeArgs: ['--import', '@faultline/core/init'],
      env: { ...env, SENTRY_DSN: ingest.dsn(5), FAULTLINE_SHUTDOWN_TIMEOUT_MS: 'soon' },
    });
    expect(refused.code).toBe(78);
    expect(refused.stderr).toContain('FAULTLINE_SHUTDOWN_TIMEOUT_MS="soon": expected');
    expect(refused.stdout).toBe(''); // the app never ran
  });

  for (const mode of ['esm', 'cjs'] as const) {
    it(`runs the quickstart from ${mode === 'esm' ? 'ESM' : 'CommonJS'} over HTTP`, async () => {
      const file = join(project, mode === 'esm' ? 'quickstart.mjs' : 'quickstart.cjs');
      writeFileSync(
        file,
        mode === 'esm'
          ? `import * as Sentry from '@sentry/node';
import { initObservability } from '@faultline/core';
const observability = initObservability({ service: 'packed-esm', handleSignals: false });
Sentry.captureException(new Error('packed esm works'));
console.log('closed', await observability.close(5000));
`
          : `const Sentry = require('@sentry/node');
const { initObservability } = require('@faultline/core');
const observability = initObservability({ service: 'packed-cjs', handleSignals: false });
Sentry.captureException(new Error('packed cjs works'));
observability.close(5000).then((closed) => console.log('closed', closed));
`,
      );
      const result = await runNodeScript(file, {
        cwd: project,
        env: { PATH: process.env.PATH, SENTRY_DSN: ingest.dsn(4) },
        timeoutMs: 30_000,
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('closed true');
      const values = ingest.items<Event>('event').map((e) => e.exception?.values?.at(-1)?.value);
      expect(values).toContain(`packed ${mode} works`);
    });
  }
});

// Twelve fingerprints, each set on an isolation scope (as a request handler's scope is) and
// captured twice; the policy keeps the first of each (FAULTLINE_ERRORS_PER_FINGERPRINT=1, sample
// rate 0). If Faultline read the isolation scope through the other @sentry/core copy, it would see
// no fingerprint and keep 1 event, not 12.
const FINGERPRINTS = 12;
const PIPELINE_SERVICE = (mode: 'esm' | 'cjs') => {
  const body = `const observability = initObservability({ service: 'packed-pipeline', handleSignals: false });
if (typeof instrumentProducer !== 'function') throw new Error('@faultline/core/kafkajs did not load');
for (let round = 0; round < 2; round++) {
  for (let i = 0; i < ${FINGERPRINTS}; i++) {
    Sentry.withIsolationScope((isolation) => {
      isolation.setFingerprint(['packed-${mode}', String(i)]);
      Sentry.captureException(new Error('packed ${mode} pipeline'));
    });
  }
}
`;
  return mode === 'esm'
    ? `import * as Sentry from '@sentry/node';
import { initObservability } from '@faultline/core';
import { instrumentProducer } from '@faultline/core/kafkajs';
${body}console.log('closed', await observability.close(10000));
`
    : `const Sentry = require('@sentry/node');
const { initObservability } = require('@faultline/core');
const { instrumentProducer } = require('@faultline/core/kafkajs');
${body}observability.close(10000).then((closed) => console.log('closed', closed));
`;
};

describe('a Kafka pipeline, from the packed packages, with another @sentry/core hoisted', () => {
  let project: string;
  let bugsink: BugsinkClient;
  let forwarder: ChildProcess | undefined;
  let forwarderOutput = '';
  beforeAll(() => {
    bugsink = connectBugsink(inject('bugsink'));
    project = installProject(
      'pipeline-app',
      {
        '@faultline/core': tarball('core'),
        '@faultline/forwarder': tarball('forwarder'),
        '@faultline/alerts': tarball('alerts'),
        '@sentry/node': sentryVersion,
        '@sentry/core': OTHER_SENTRY_CORE,
        kafkajs: '2.2.4',
      },
      {},
      // Faultline's peer range (^11.12.0) refuses the older copy; a real project gets the mismatch
      // from a newer one, which does not exist yet. The layout is what matters here.
      ['--legacy-peer-deps'],
    );
  }, 300_000);
  afterAll(() => {
    forwarder?.kill('SIGTERM');
  });

  it('has the mismatch it is meant to have', () => {
    const version = (path: string) => JSON.parse(readFileSync(join(project, path), 'utf8')).version;
    expect(version('node_modules/@sentry/core/package.json')).toBe(OTHER_SENTRY_CORE);
    expect(version('node_modules/@sentry/node/node_modules/@sentry/core/package.json')).toBe(sentryVersion);
  });

  it('goes service → Kafka → the forwarder bin → Bugsink, from ESM and CommonJS, with scopes intact', async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('packed-pipeline');
    await createTopic(brokers, topic, 1);
    const sentry = await bugsink.createProject('packed-pipeline');

    forwarder = spawn(
      join(project, 'node_modules', '.bin', 'faultline-forwarder'),
      ['--topic', topic, '--group', uniqueName('packed-forwarder'), '--log-level', 'warn'],
      {
        cwd: project,
        env: {
          PATH: process.env.PATH,
          FAULTLINE_KAFKA_BROKERS: brokers.join(','),
          FAULTLINE_FORWARDER_ALLOWED_DSNS: sentry.dsn,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    forwarder.stdout?.on('data', (chunk) => {
      forwarderOutput += chunk;
    });
    forwarder.stderr?.on('data', (chunk) => {
      forwarderOutput += chunk;
    });

    for (const mode of ['esm', 'cjs'] as const) {
      const file = join(project, mode === 'esm' ? 'service.mjs' : 'service.cjs');
      writeFileSync(file, PIPELINE_SERVICE(mode));
      const result = await runNodeScript(file, {
        cwd: project,
        env: {
          PATH: process.env.PATH,
          SENTRY_DSN: sentry.dsn,
          FAULTLINE_KAFKA_BROKERS: brokers.join(','),
          FAULTLINE_KAFKA_TOPIC: topic,
          FAULTLINE_SPOOL_DIR: mkdtempSync(join(tmpdir(), `faultline-packed-spool-${mode}-`)),
          FAULTLINE_ERRORS_PER_FINGERPRINT: '1',
          FAULTLINE_ERRORS_SAMPLE_RATE: '0',
        },
        timeoutMs: 60_000,
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('closed true');
      // KafkaJS's negative timer, which Node 24 reports, is clamped (see fixKafkaJsNegativeTimeout).
      expect(result.stderr).not.toContain('TimeoutNegativeWarning');
    }

    // Through Kafka (not straight to Bugsink over HTTP): the topic holds the events.
    const isEvent = (m: { value: Buffer | null }) => m.value?.includes('"type":"event"') === true;
    const messages = await readTopic(brokers, topic, (m) => m.filter(isEvent).length >= 2 * FINGERPRINTS);
    expect(messages.filter(isEvent)).toHaveLength(2 * FINGERPRINTS);

    const stored = await bugsink.waitForEvents(sentry.id, 2 * FINGERPRINTS, 60_000).catch((error) => {
      throw new Error(`${(error as Error).message}\nforwarder said:\n${forwarderOutput}`);
    });
    const fingerprints = stored.map((event) => JSON.stringify(event.data.fingerprint)).sort();
    const expected = ['esm', 'cjs']
      .flatMap((mode) =>
        Array.from({ length: FINGERPRINTS }, (_, i) => JSON.stringify([`packed-${mode}`, String(i)])),
      )
      .sort();
    expect(fingerprints).toEqual(expected);
    expect(forwarderOutput).not.toContain(sentry.dsn.split('@')[0]);
  });

  it('runs the alerts bin on that topic: rebuilt from it, on worker threads, in a dry run', async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('packed-alerts');
    await createTopic(brokers, topic, 2);
    const written = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { Kafka } from 'kafkajs';
const producer = new Kafka({ brokers: ${JSON.stringify(brokers)} }).producer();
await producer.connect();
const header = JSON.stringify({ dsn: 'http://publickey@127.0.0.1:9/42' });
const event = (i) => header + '\\n{"type":"event"}\\n' + JSON.stringify({ level: 'error', timestamp: Date.now() / 1000, exception: { values: [{ type: 'TypeError', value: 'packed ' + (i % 3) }] } }) + '\\n';
await producer.send({ topic: ${JSON.stringify(topic)}, messages: Array.from({ length: 500 }, (_, i) => ({ value: event(i) })) });
await producer.disconnect();`,
      ],
      {
        cwd: project,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
      },
    );
    expect(written.status, written.stderr).toBe(0);
    const alerts = spawn(
      join(project, 'node_modules', '.bin', 'faultline-alerts'),
      ['--topic', topic, '--dry-run'],
      {
        cwd: project,
        env: {
          PATH: process.env.PATH,
          FAULTLINE_KAFKA_BROKERS: brokers.join(','),
          FAULTLINE_ALERTS_GROUP: uniqueName('packed-alerts'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    alerts.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    alerts.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const rebuilt = await waitUntil(
      () => /"msg":"active, rebuilt: evaluating","envelopes":(\d+)/.exec(output)?.[1],
      {
        what: 'the alerts bin to rebuild',
        timeoutMs: 60_000,
      },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${output}`);
    });
    expect(Number(rebuilt)).toBe(500);
    // The built worker file was found in the installed package (none on a one-core machine).
    const workers = Number(/"parseWorkers":(\d+)/.exec(output)?.[1]);
    expect(workers).toBe(Math.min(4, availableParallelism() - 1));
    alerts.kill('SIGTERM');
    const code = await new Promise((resolve) => alerts.once('exit', resolve));
    expect(code, output).toBe(0);
  });
});

// Many processes of one service on one host, as node:cluster and PM2's cluster mode run them, with
// Faultline preloaded from the environment alone (`--import` / `--require @faultline/core/init`).
// Each process must get a spool of its own without configuration, and a backlog left by a process
// that is killed must reach Kafka through the ones still alive.
describe('cluster mode, from the packed packages', () => {
  let project: string;
  const fixtures = fileURLToPath(new URL('./fixtures/cluster/', import.meta.url));
  beforeAll(() => {
    project = installProject('cluster-app', {
      '@faultline/core': tarball('core'),
      '@sentry/node': sentryVersion,
      kafkajs: '2.2.4',
      pm2: '7.0.4',
    });
    for (const file of readdirSync(fixtures)) {
      writeFileSync(join(project, file), readFileSync(join(fixtures, file)));
    }
  }, 300_000);

  function serviceEnv(brokers: string[], topic: string, spoolDir: string): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      SENTRY_DSN: 'http://0123456789abcdef0123456789abcdef@127.0.0.1:9/7',
      FAULTLINE_SERVICE: 'clustered',
      FAULTLINE_KAFKA_BROKERS: brokers.join(','),
      FAULTLINE_KAFKA_TOPIC: topic,
      FAULTLINE_SPOOL_DIR: spoolDir,
      // Every event kept: what is checked here is delivery, not sampling.
      FAULTLINE_ERRORS_PER_FINGERPRINT: '1000000',
    };
  }

  /** The tag pairs of every event on the topic, once `expected` distinct ones are there. */
  async function eventsOnTopic(brokers: string[], topic: string, by: string, expected: number) {
    const tagsOf = (messages: { value: Buffer | null }[]) =>
      new Set(
        messages.flatMap((m) => {
          const text = m.value?.toString() ?? '';
          const tags = [...text.matchAll(/"tags":\{([^}]*)\}/g)].map((match) => JSON.parse(`{${match[1]}}`));
          return tags.filter((t) => t[by] !== undefined).map((t) => `${t[by]}/${t.seq}`);
        }),
      );
    const messages = await readTopic(brokers, topic, (m) => tagsOf(m).size >= expected, 90_000);
    return tagsOf(messages);
  }

  /** Slot directories under the service's spool directory, with the pid each lock names. */
  function slotHolders(spoolDir: string): Record<string, number> {
    const holders: Record<string, number> = {};
    for (const slot of readdirSync(spoolDir).filter((name) => /^\d+$/.test(name))) {
      const lock = join(spoolDir, slot, 'lock');
      if (existsSync(lock)) holders[slot] = JSON.parse(readFileSync(lock, 'utf8')).pid;
    }
    return holders;
  }

  it('node:cluster, 3 workers: each spools in its own slot and every event of every worker arrives', async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('cluster');
    await createTopic(brokers, topic, 1);
    const spoolDir = mkdtempSync(join(tmpdir(), 'faultline-cluster-spool-'));
    const reports: { worker?: number; pid?: number; flushed?: boolean }[] = [];
    let holders: Record<string, number> = {};
    const result = await runNodeScript(join(project, 'cluster-app.mjs'), {
      cwd: project,
      nodeArgs: ['--import', '@faultline/core/init'],
      env: {
        ...serviceEnv(brokers, topic, spoolDir),
        FIXTURE_WORKERS: '3',
        FIXTURE_EVENTS: '50',
        FIXTURE_HOLD: '1',
      },
      timeoutMs: 90_000,
      onStdout: (text, primary) => {
        for (const line of text.split('\n').filter((l) => l.startsWith('{'))) {
          const report = JSON.parse(line);
          if (report.captured !== undefined) reports.push(report);
        }
        if (reports.length === 3 && Object.keys(holders).length === 0) {
          // While all four processes run (the primary has Faultline too), then stop them.
          holders = slotHolders(spoolDir);
          primary.kill('SIGTERM');
        }
      },
    });
    // The primary's own SIGTERM listener stops the workers, and it ends once they are gone.
    expect(result.signal, result.stderr).toBeNull();
    expect(result.stderr).not.toMatch(/in use by process|without a disk buffer/);
    expect(reports.map((r) => r.flushed)).toEqual([true, true, true]);
    // Four processes, four slots: each worker's pid holds one.
    const workerPids = reports.map((r) => r.pid).sort();
    expect(
      Object.values(holders)
        .filter((pid) => workerPids.includes(pid))
        .sort(),
    ).toEqual(workerPids);
    expect(Object.keys(holders)).toHaveLength(4);
    // Each worker flushed on SIGTERM and exited as the signal would have it.
    expect(result.stdout.match(/"code":null,"signal":"SIGTERM"|"code":143/g)).toHaveLength(3);

    const arrived = await eventsOnTopic(brokers, topic, 'worker', 150);
    for (const worker of [1, 2, 3]) {
      const seqs = Array.from({ length: 50 }, (_, seq) => `${worker}/${seq}`);
      expect(seqs.filter((key) => !arrived.has(key))).toEqual([]);
    }
  }, 180_000);

  it('PM2 cluster mode, 3 instances: each spools in the slot of its instance number and every event arrives', async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('pm2');
    await createTopic(brokers, topic, 1);
    const spoolDir = mkdtempSync(join(tmpdir(), 'faultline-pm2-spool-'));
    const pm2Home = mkdtempSync(join(tmpdir(), 'faultline-pm2-home-'));
    const pm2 = spawn(
      join(project, 'node_modules', '.bin', 'pm2-runtime'),
      ['start', 'ecosystem.config.cjs'],
      {
        cwd: project,
        env: { ...serviceEnv(brokers, topic, spoolDir), PM2_HOME: pm2Home, FIXTURE_EVENTS: '50' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    pm2.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    pm2.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    try {
      const reports = await waitUntil(
        () => {
          const found = [...output.matchAll(/^.*?(\{"instance".*\})\s*$/gm)].map((m) =>
            JSON.parse(m[1] ?? '{}'),
          );
          return found.length >= 3 ? found : undefined;
        },
        { what: 'three PM2 instances to report', timeoutMs: 60_000 },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${output}`);
      });
      expect(reports.map((r) => r.flushed)).toEqual([true, true, true]);
      // PM2's instance number is the slot: a restarted instance finds its own backlog.
      const holders = slotHolders(spoolDir);
      for (const report of reports) {
        expect(holders[report.instance], JSON.stringify({ holders, reports, output })).toBe(report.pid);
      }
      expect(output).not.toMatch(/in use by process|without a disk buffer/);

      const arrived = await eventsOnTopic(brokers, topic, 'instance', 150);
      for (const instance of [0, 1, 2]) {
        const seqs = Array.from({ length: 50 }, (_, seq) => `${instance}/${seq}`);
        expect(seqs.filter((key) => !arrived.has(key))).toEqual([]);
      }
    } finally {
      pm2.kill('SIGTERM');
      await new Promise((resolve) => pm2.once('exit', resolve));
    }
  }, 180_000);

  it('delivers the backlog of 500 of a worker SIGKILLed while the broker was down, through the workers still alive', async () => {
    const broker = await startKafka({ ports: { broker: await freePort(), controller: await freePort() } });
    try {
      const topic = uniqueName('cluster-orphan');
      await createTopic(broker.brokers, topic, 1);
      await broker.kill();
      const spoolDir = mkdtempSync(join(tmpdir(), 'faultline-orphan-spool-'));
      let victim: { pid: number; spooled: number } | undefined;
      let output = '';
      let primary: ChildProcess | undefined;
      const run = runNodeScript(join(project, 'cluster-app.mjs'), {
        cwd: project,
        nodeArgs: ['--import', '@faultline/core/init'],
        env: {
          ...serviceEnv(broker.brokers, topic, spoolDir),
          FIXTURE_WORKERS: '3',
          FIXTURE_EVENTS: '500',
          FIXTURE_ONLY_WORKER: '1',
          FIXTURE_HOLD: '1',
        },
        timeoutMs: 170_000,
        onStdout: (text, child) => {
          primary = child;
          output += text;
          for (const line of text.split('\n').filter((l) => l.startsWith('{"worker":1,"pid"'))) {
            const report = JSON.parse(line);
            victim = { pid: report.pid, spooled: report.kafka.spooled };
          }
        },
      });
      const { pid, spooled } = await waitUntil(() => victim, {
        what: 'worker 1 to spool its backlog',
        timeoutMs: 60_000,
      });
      // 500 events, and the client report or session envelopes the SDK adds.
      expect(spooled).toBeGreaterThanOrEqual(500);
      const slot = Object.entries(slotHolders(spoolDir)).find(([, holder]) => holder === pid)?.[0];
      expect(slot, JSON.stringify(slotHolders(spoolDir))).toBeDefined();
      process.kill(pid, 'SIGKILL');
      await waitUntil(() => output.includes('"exit":1'), { what: 'worker 1 to be gone', timeoutMs: 10_000 });

      await broker.start();
      const arrived = await eventsOnTopic(broker.brokers, topic, 'worker', 500);
      const seqs = Array.from({ length: 500 }, (_, seq) => `1/${seq}`);
      expect(seqs.filter((key) => !arrived.has(key))).toEqual([]);
      // A live process of the service (a worker or the primary) took the dead worker's slot over,
      // drained it and removed it.
      await waitUntil(() => !existsSync(join(spoolDir, String(slot))), {
        what: `the dead worker's slot ${slot} to be drained and removed`,
        timeoutMs: 15_000,
      });
      primary?.kill('SIGTERM');
      const result = await run;
      expect(result.signal, result.stderr).toBeNull();
      expect(result.stderr).not.toMatch(/in use by process|without a disk buffer/);
    } finally {
      await broker.destroy();
    }
  }, 240_000);
});

describe('the intake, from its packed package', () => {
  let project: string;
  let intake: ChildProcess | undefined;
  beforeAll(() => {
    project = installProject('intake-app', { '@faultline/intake': tarball('intake') });
  }, 300_000);
  afterAll(() => {
    intake?.kill('SIGTERM');
  });

  it('serves with its bin from the environment, and what an SDK posts is in the topic', async () => {
    const brokers = inject('kafkaBrokers');
    const topic = uniqueName('packed-intake');
    await createTopic(brokers, topic, 1);
    const port = await freePort();
    const key = '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e';
    let output = '';
    intake = spawn(join(project, 'node_modules', '.bin', 'faultline-intake'), [], {
      cwd: project,
      env: {
        PATH: process.env.PATH,
        FAULTLINE_KAFKA_BROKERS: brokers.join(','),
        FAULTLINE_INTAKE_DSNS: `https://${key}@o1.ingest.example.com/12`,
        FAULTLINE_INTAKE_TOPIC: topic,
        FAULTLINE_INTAKE_PORT: String(port),
        FAULTLINE_INTAKE_SPOOL_DIR: join(project, 'spool'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    intake.stdout?.on('data', (chunk) => (output += chunk));
    intake.stderr?.on('data', (chunk) => (output += chunk));
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok, {
      what: 'the packed intake to be ready',
      timeoutMs: 30_000,
      describeFailure: () => output,
    });
    const id = 'e'.repeat(32);
    const answer = await fetch(`http://127.0.0.1:${port}/api/12/store/`, {
      method: 'POST',
      headers: { 'x-sentry-auth': `Sentry sentry_key=${key}, sentry_version=7` },
      body: JSON.stringify({ event_id: id, message: 'from the packed intake' }),
    });
    expect(answer.status, output).toBe(200);
    expect(await answer.json()).toEqual({ id });
    const messages = await readTopic(brokers, topic, (m) => m.length >= 1);
    expect(messages[0]?.value?.toString()).toContain('from the packed intake');
    expect(output).not.toContain(key);
  }, 120_000);
});
