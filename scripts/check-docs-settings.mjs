#!/usr/bin/env node
// Docs that cannot drift: every FAULTLINE_* variable the docs name is read by the code, and every
// one the code reads is in the docs; the same for each CLI's flags. Run by `pnpm run lint`.
//
// The docs abbreviate a family after its first full name (`FAULTLINE_ALERTS_SPIKE_INCREASE_PERCENT`,
// `_SPIKE_BASELINE_MINUTES`): a `_NAME` token counts as the full name it completes on its line.
// The Kafka connection's variables are built from a list in the contract's resolver
// (`FAULTLINE_<COMPONENT>_KAFKA_<X>`), so that list is expanded here the way the resolver reads it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const files = (...specs) =>
  execFileSync('git', ['ls-files', ...specs], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
const read = (file) => readFileSync(file, 'utf8');
const FULL = /\bFAULTLINE_[A-Z0-9_]*[A-Z0-9]\b/g;

const docFiles = files('README.md', 'docs/*.md', 'packages/*/README.md');
const codeFiles = files('packages/*/src/*.ts', 'packages/*/src/**/*.ts');

// What the code reads.
const code = new Set();
for (const file of codeFiles) for (const [name] of read(file).matchAll(FULL)) code.add(name);
// The Kafka connection: one family of settings, documented once as a table of `X` in
// configuration.md and read as FAULTLINE_[<COMPONENT>_]KAFKA_<X> (secrets also <X>_FILE).
const resolver = read('packages/contract/src/settings/resolve-kafka-connection.ts');
const settings = new Set([...resolver.matchAll(/\b(?:text|file|bool|names)\('([A-Z_]+)'/g)].map((m) => m[1]));
const family = /^FAULTLINE_(?:[A-Z]+_)?KAFKA_([A-Z_]+?)(?:_FILE)?$/;
const inFamily = (name) => settings.has(family.exec(name)?.[1] ?? '');
const configuration = read('docs/configuration.md');
const section = configuration.slice(configuration.indexOf('## The Kafka connection'));
const table = section.slice(0, section.indexOf('\n## ', 5));
const listed = new Set(
  table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([A-Z_]+)`/g)].map((m) => m[1])),
);
const familyProblems = [];
for (const setting of settings) {
  if (!listed.has(setting))
    familyProblems.push(`docs/configuration.md: the Kafka connection table lacks ${setting}`);
}
listed.delete('X'); // the header
for (const setting of listed) {
  if (!settings.has(setting))
    familyProblems.push(`docs/configuration.md: ${setting} is not a Kafka connection setting`);
}
// Placeholders the docs use for a family, not names.
const placeholder = (name) => /_X$|_<|_NAME$/.test(name) || inFamily(name);

// What the docs name, with abbreviations completed.
const docs = new Map();
for (const file of docFiles) {
  for (const line of read(file).split('\n')) {
    const full = [...line.matchAll(FULL)].map((m) => m[0]);
    for (const name of full) if (!docs.has(name)) docs.set(name, file);
    for (const [, suffix] of line.matchAll(/`(_[A-Z0-9_]*[A-Z0-9])`/g)) {
      for (const name of full) {
        const parts = name.split('_');
        for (let cut = parts.length - 1; cut >= 2; cut--) {
          const candidate = `${parts.slice(0, cut).join('_')}${suffix}`;
          if (code.has(candidate)) {
            if (!docs.has(candidate)) docs.set(candidate, file);
            break;
          }
        }
      }
    }
  }
}

const problems = [...familyProblems];
for (const [name, file] of docs) {
  if (!code.has(name) && !placeholder(name)) problems.push(`${file}: ${name} is not read by any package`);
}
// Internal names: message headers and markers, not settings.
const internal = (name) => name === 'FAULTLINE_HEADERS' || !/^FAULTLINE_[A-Z]/.test(name);
for (const name of code) {
  if (!docs.has(name) && !internal(name) && !placeholder(name))
    problems.push(`${name} is read by the code but no doc names it`);
}

// Each CLI's flags: its parseArgs options against the flags its docs name.
for (const [cli, doc] of [
  ['packages/forwarder/src/cli.ts', 'docs/forwarder.md'],
  ['packages/alerts/src/cli.ts', 'docs/alerts.md'],
  ['packages/intake/src/cli.ts', 'docs/intake.md'],
]) {
  const source = read(cli);
  const block = source.slice(source.indexOf('options: {', source.indexOf('parseArgs(')));
  const flags = new Set([...block.matchAll(/^\s+'?([a-z][a-z-]*)'?: \{ type:/gm)].map((m) => m[1]));
  // Flags in backticks, and every flag of a command line shown (`faultline-forwarder replay --from ...`).
  const text = read(doc);
  const commandLines = text.split('\n').filter((line) => /^(?:npx .*)?faultline-[a-z]+ /.test(line));
  const documented = new Set([
    ...[...text.matchAll(/`--([a-z][a-z-]*)/g)].map((m) => m[1]),
    ...commandLines.flatMap((line) => [...line.matchAll(/\s--([a-z][a-z-]*)/g)].map((m) => m[1])),
  ]);
  for (const flag of flags) {
    if (!documented.has(flag) && flag !== 'help')
      problems.push(`${doc}: --${flag} (${cli}) is not documented`);
  }
  for (const flag of documented)
    if (!flags.has(flag)) problems.push(`${doc}: --${flag} is not a flag of ${cli}`);
}

if (problems.length > 0) {
  process.stderr.write(
    `docs and code disagree (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}\n`,
  );
  process.exit(1);
}
process.stdout.write(`docs and code agree: ${docs.size} variables, CLI flags of 3 commands\n`);
