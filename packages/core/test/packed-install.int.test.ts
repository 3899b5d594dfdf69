import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createIngestDouble, type IngestDouble, runNodeScript } from '@faultline/testkit';
import type { Event } from '@sentry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The packages as users meet them: packed (workspace ranges rewritten), installed with npm from
// the tarballs into a fresh project that has nothing else but @sentry/node from the registry.
// Workspace links hide packaging mistakes (a missing file, a dependency only the workspace has);
// this does not. An HTTP-only service must not get kafkajs.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const PACKAGES = ['contract', 'sampling', 'scrubbing', 'spool', 'kafka-transport', 'kafkajs', 'core'];
let project: string;
let ingest: IngestDouble;

beforeAll(async () => {
  ingest = await createIngestDouble();
  const dir = mkdtempSync(join(tmpdir(), 'faultline-packed-'));
  const tarballs = join(dir, 'tarballs');
  mkdirSync(tarballs);
  // `pnpm pack` rewrites workspace ranges as `pnpm publish` will; the pinned pnpm, as scripts/run.mjs finds it.
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.replace(
    /^pnpm@/,
    '',
  );
  const onPath = spawnSync('pnpm', ['--version'], { encoding: 'utf8' }).stdout?.trim() === pinned;
  const [pnpm, ...prefix] = onPath ? ['pnpm'] : ['npx', '--yes', `pnpm@${pinned}`];
  for (const name of PACKAGES) {
    execFileSync(pnpm as string, [...prefix, 'pack', '--pack-destination', tarballs], {
      cwd: join(root, 'packages', name),
      stdio: 'ignore',
    });
  }
  const files = readdirSync(tarballs);
  const tarball = (name: string) => {
    const file = files.find((f) => f.startsWith(`faultline-${name}-`));
    if (!file) throw new Error(`no tarball for @faultline/${name}`);
    return `file:${join(tarballs, file)}`;
  };
  project = join(dir, 'app');
  mkdirSync(project);
  const sentryVersion = (await import('@sentry/node/package.json', { with: { type: 'json' } })).default
    .version;
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'packed-app',
      version: '1.0.0',
      private: true,
      dependencies: { '@faultline/core': tarball('core'), '@sentry/node': sentryVersion },
      // The other Faultline packages are not published: the tarballs stand in for the registry.
      overrides: Object.fromEntries(
        PACKAGES.filter((n) => n !== 'core').map((n) => [`@faultline/${n}`, tarball(n)]),
      ),
    }),
  );
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: project,
    stdio: 'ignore',
  });
}, 300_000);
afterAll(() => ingest?.close());

const QUICKSTART = (mode: 'esm' | 'cjs') =>
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
`;

describe('the packed packages, installed with npm into a fresh project', () => {
  it('installs an HTTP-only service without kafkajs', () => {
    expect(existsSync(join(project, 'node_modules', '@faultline', 'core', 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'kafkajs'))).toBe(false);
  });

  it('prints the release name with the faultline bin, as docs/releases.md has CI do', () => {
    const printed = execFileSync(join(project, 'node_modules', '.bin', 'faultline'), ['release'], {
      cwd: project,
      env: { PATH: process.env.PATH, GITHUB_SHA: '0123456789abcdef0123' },
      encoding: 'utf8',
    });
    expect(printed).toBe('packed-app@1.0.0+0123456789ab\n');
  });

  for (const mode of ['esm', 'cjs'] as const) {
    it(`runs the quickstart from ${mode === 'esm' ? 'ESM' : 'CommonJS'} over HTTP`, async () => {
      const file = join(project, mode === 'esm' ? 'quickstart.mjs' : 'quickstart.cjs');
      writeFileSync(file, QUICKSTART(mode));
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
