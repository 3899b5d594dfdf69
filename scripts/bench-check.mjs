#!/usr/bin/env node
// `pnpm bench:check`: the regression guard. Runs the fast benchmarks (in-process, no broker, no
// network) a few times and compares each ratio (a candidate's best rate over its baseline's best
// rate, measured in the same run, so a busy machine moves both) with its recorded value in
// scripts/bench-ratios.json. The run fails when a guarded ratio falls more than the tolerance
// below its record; unguarded ratios are printed, not judged (the file says why each is not).
//
// Usage: node scripts/bench-check.mjs [--rounds N] [--record]
//   --rounds N  runs of the benchmark files; the median ratio counts (default 3). When a guarded
//               ratio is below its floor, N more rounds run, and the median of all of them counts
//   --record    writes the medians as the new recorded values (the guard flags are kept)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const recordFile = join(root, 'scripts', 'bench-ratios.json');
const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 3;
const record = args.includes('--record');
const recorded = JSON.parse(readFileSync(recordFile, 'utf8'));

mkdirSync(join(root, '.cache'), { recursive: true });
/** ratio key -> the ratio of each round */
const seen = new Map();
runRounds(1, rounds);
// A second look before failing: on a shared machine a noisy spell can lower two rounds of three
// (2026-12-07: a CI run's rounds of 4.72, 4.80 and 8.18 against a record of 8.18, with no change
// to the code measured). A regression lowers every round, so the median of twice the rounds
// still fails it.
if (!record && judge().failures.length > 0) {
  console.log(`bench:check: below the guard after ${rounds} rounds; ${rounds} more before judging`);
  runRounds(rounds + 1, rounds);
}
const { rows, failures } = judge();

function runRounds(first, count) {
  for (let round = first; round < first + count; round++) {
    const output = join(root, '.cache', `bench-check-${round}.json`);
    const result = spawnSync(
      'pnpm',
      [
        'exec',
        'vitest',
        'bench',
        '--run',
        '--config',
        'vitest.bench.config.ts',
        '--outputJson',
        output,
        ...recorded.files,
      ],
      {
        cwd: root,
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, FAULTLINE_BENCH_QUICK: '1' },
      },
    );
    if (result.status !== 0) fail(`the benchmarks failed in round ${round} (exit ${result.status})`);
    for (const [key, ratio] of ratiosOf(JSON.parse(readFileSync(output, 'utf8')))) {
      seen.set(key, [...(seen.get(key) ?? []), ratio]);
    }
    console.log(`bench:check: round ${round} of ${first + count - 1} done`);
  }
}

/** Each ratio's median over the rounds so far, against its record. */
function judge() {
  const rows = [];
  const failures = [];
  for (const [key, ratios] of seen) {
    const now = median(ratios);
    const entry = recorded.ratios[key];
    // An entry may carry its own tolerance: one whose rounds spread wider than the file's.
    const floor = entry ? entry.recorded * (1 - (entry.tolerance ?? recorded.tolerance)) : undefined;
    const verdict = !entry ? 'new' : !entry.guard ? 'not guarded' : now < floor ? 'FAILED' : 'ok';
    if (verdict === 'FAILED') failures.push(key);
    rows.push([key, now, entry?.recorded, verdict, spread(ratios)]);
  }
  for (const key of Object.keys(recorded.ratios)) {
    if (!seen.has(key)) {
      failures.push(key);
      rows.push([key, undefined, recorded.ratios[key].recorded, 'MISSING (renamed or removed?)', '']);
    }
  }
  return { rows, failures };
}

console.log('\nratio = baseline best time / candidate best time, same run; median of the rounds');
for (const [key, now, then, verdict, range] of rows) {
  console.log(
    `${verdict.padEnd(12)} ${fmt(now).padStart(9)} (recorded ${fmt(then)}, rounds ${range})  ${key}`,
  );
}

if (record) {
  for (const [key, ratios] of seen) {
    recorded.ratios[key] = {
      ...(recorded.ratios[key] ?? { guard: false, why: 'new: not yet judged stable' }),
      recorded: Number(median(ratios).toPrecision(3)),
    };
  }
  writeFileSync(recordFile, `${JSON.stringify(recorded, null, 2)}\n`);
  console.log(`\nrecorded in ${recordFile}`);
} else if (failures.length > 0) {
  fail(
    `${failures.length} ratio(s) more than ${recorded.tolerance * 100}% below their record: ${failures.join('; ')}`,
  );
}

/** Each group's candidates over the group's baseline (the benchmark named "baseline..."). */
function ratiosOf(report) {
  const out = [];
  for (const file of report.files) {
    for (const group of file.groups) {
      const baseline = group.benchmarks.find((b) => b.name.startsWith('baseline'));
      if (!baseline) continue;
      for (const bench of group.benchmarks) {
        if (bench === baseline) continue;
        // Fastest iteration against fastest iteration. The mean took every pause of a shared
        // machine: over 5 rounds the trace decision's mean ratio spread 0.157..0.267 where its
        // best-time ratio spread 0.250..0.276.
        out.push([`${group.fullName} > ${bench.name}`, baseline.min / bench.min]);
      }
    }
  }
  return out;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function spread(values) {
  return `${fmt(Math.min(...values))}..${fmt(Math.max(...values))}`;
}

function fmt(value) {
  return value === undefined ? '-' : value.toPrecision(3);
}

function fail(message) {
  console.error(`bench:check: ${message}`);
  process.exit(1);
}
