#!/usr/bin/env node
// The one entry point behind `npm test`, `npm run demo` and `npm run bench`: it installs what the
// step needs (pnpm at the pinned version, the workspace's packages), builds, and runs the step.
// The test kit fetches the Kafka jars and Bugsink itself, on first use.
//
// Usage: node scripts/run.mjs <test|demo|bench> [extra args for the runner]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [step, ...extra] = process.argv.slice(2);
const steps = {
  test: ['exec', 'vitest', 'run', ...extra],
  demo: ['--filter', '@faultline-examples/quickstart', 'demo'],
  bench: ['exec', 'vitest', 'bench', '--run', '--config', 'vitest.bench.config.ts', ...extra],
};
if (!(step in steps)) fail(`usage: node scripts/run.mjs <${Object.keys(steps).join('|')}>`);

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19))
  fail(`Node.js 20.19 or newer is needed; this is ${process.version}`);
if (step === 'test') requireTools();

const pnpm = pnpmCommand();
run(pnpm, ['install', '--frozen-lockfile']);
run(pnpm, ['run', 'build']);
const status = run(pnpm, steps[step], { allowFailure: true });
if (step === 'test') printSummary();
process.exit(status);

/** pnpm on PATH if it is the pinned version, else the pinned version through npx. */
function pnpmCommand() {
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.replace(
    /^pnpm@/,
    '',
  );
  const found = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: false });
  if (found.status === 0 && found.stdout.trim() === pinned) return ['pnpm'];
  return ['npx', '--yes', `pnpm@${pinned}`];
}

/** The integration tests start a real Kafka broker (Java, Maven) and Bugsink (Python). */
function requireTools() {
  const missing = [
    ['java', ['-version'], 'Java 17 (runs the Kafka broker)'],
    ['mvn', ['-v'], 'Maven (fetches the Kafka jars)'],
    [process.env.FAULTLINE_PYTHON ?? 'python3', ['--version'], 'Python 3.10+ with venv (runs Bugsink)'],
  ].filter(([command, args]) => spawnSync(command, args, { stdio: 'ignore' }).status !== 0);
  if (missing.length > 0) {
    fail(
      `the test suite needs: ${missing.map(([, , what]) => what).join('; ')}. Install them and run again.`,
    );
  }
}

function run([command, ...prefix], args, { allowFailure = false } = {}) {
  const result = spawnSync(command, [...prefix, ...args], { cwd: root, stdio: 'inherit' });
  const status = result.status ?? 1;
  if (status !== 0 && !allowFailure)
    fail(`'${[command, ...prefix, ...args].join(' ')}' failed (exit ${status})`);
  return status;
}

/** A plain closing line that any CI can read: "tests: N passed, N failed, N skipped". */
function printSummary() {
  const file = join(root, '.cache', 'vitest-results.json');
  if (!existsSync(file)) return;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
}

function fail(message) {
  console.error(`faultline: ${message}`);
  process.exit(1);
}
