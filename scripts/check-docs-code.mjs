#!/usr/bin/env node
// Docs that cannot drift, part two: every ```js and ```ts block in README.md, docs/ and the
// package READMEs is type-checked against the packages' sources, as a user's editor would check
// the snippet pasted into their service. What it catches: an import of a name a package does not
// export, a package or subpath that does not exist, an option that is not in the options type.
// Snippets are fragments (they use an `app` or a `consumer` defined elsewhere), so only those
// errors count, not undeclared names. Run by `pnpm run lint`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();
const out = join(root, '.cache', 'doc-code');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const files = execFileSync('git', ['ls-files', 'README.md', 'docs/*.md', 'packages/*/README.md'], {
  encoding: 'utf8',
})
  .split('\n')
  .filter(Boolean);
const origin = new Map();
let count = 0;
for (const file of files) {
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(js|ts)\s*$/.test(lines[i] ?? '')) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end]?.startsWith('```')) end++;
    const name = `${file.replace(/[/.]/g, '_')}_${start + 1}.ts`;
    // `export {}` makes each snippet a module of its own, so names do not clash across snippets.
    writeFileSync(join(out, name), `${lines.slice(start, end).join('\n')}\nexport {};\n`);
    origin.set(name, { file, line: start + 1 });
    count++;
    i = end;
  }
}

const packages = join(root, 'packages');
writeFileSync(
  join(out, 'tsconfig.json'),
  JSON.stringify({
    extends: '../../tsconfig.base.json',
    compilerOptions: {
      strict: false,
      noImplicitAny: false,
      noUncheckedIndexedAccess: false,
      verbatimModuleSyntax: false,
      isolatedModules: false,
      baseUrl: root,
      paths: {
        '@faultline/core/*': [`${packages}/core/src/*.ts`],
        '@faultline/*': [`${packages}/*/src/index.ts`],
        '@sentry/node': [`${packages}/core/node_modules/@sentry/node`],
        '@sentry/core': [`${packages}/core/node_modules/@sentry/core`],
        kafkajs: [`${packages}/kafkajs/node_modules/kafkajs`],
      },
      typeRoots: [join(root, 'node_modules', '@types')],
    },
    include: ['*.ts'],
  }),
);

// The errors that mean the docs and the code disagree.
const COUNTED = new Set([2305, 2307, 2353, 2561, 2614, 2724, 2551]);
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(out, 'tsconfig.json'), '--pretty', 'false'], {
  encoding: 'utf8',
});
const problems = [];
for (const line of result.stdout.split('\n')) {
  const match = /([^/\\]+\.ts)\((\d+),\d+\): error TS(\d+): (.*)$/.exec(line);
  if (!match || !COUNTED.has(Number(match[3]))) continue;
  const where = origin.get(match[1]);
  if (!where) continue;
  problems.push(`${where.file}:${where.line + Number(match[2]) - 1}: ${match[4]}`);
}
if (problems.length > 0) {
  process.stderr.write(
    `code in the docs does not match the packages (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}\n`,
  );
  process.exit(1);
}
process.stdout.write(`code in the docs type-checks: ${count} blocks\n`);
