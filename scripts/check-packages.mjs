#!/usr/bin/env node
// What every public package must carry to be published, checked on the manifests as they are
// committed (CI runs it before `pnpm -r publish --dry-run`). Each rule is a mistake this repo made
// once: a missing LICENSE, no repository, an exact pin in a library, an engines range that lets
// in Node versions @sentry/node refuses, kafkajs forced on HTTP-only services.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ENGINES = '>=20.19.0 <22.0.0 || >=22.12.0';
// Services: their runtime libraries are dependencies, pinned or not, as the service chooses.
const SERVICES = new Set(['@faultline/forwarder', '@faultline/alerts', '@faultline/intake']);
const problems = [];

for (const dir of readdirSync(join(root, 'packages'))) {
  const file = join(root, 'packages', dir, 'package.json');
  if (!existsSync(file)) continue;
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  if (pkg.private) continue;
  const say = (what) => problems.push(`${pkg.name}: ${what}`);

  if (pkg.license !== 'MIT') say(`license is ${pkg.license}, expected MIT`);
  for (const name of ['LICENSE', 'README.md', 'CHANGELOG.md']) {
    if (!existsSync(join(root, 'packages', dir, name))) say(`no ${name}`);
    if (!pkg.files?.includes(name)) say(`files does not list ${name}`);
  }
  if (pkg.repository?.directory !== `packages/${dir}`) say(`repository.directory is not packages/${dir}`);
  if (!pkg.repository?.url) say('no repository.url');
  if (!pkg.homepage) say('no homepage');
  if (!pkg.bugs?.url) say('no bugs.url');
  if (!Array.isArray(pkg.keywords) || pkg.keywords.length === 0) say('no keywords');
  if (pkg.publishConfig?.access !== 'public') say('publishConfig.access is not public');
  if (pkg.engines?.node !== ENGINES) say(`engines.node is ${pkg.engines?.node}, expected ${ENGINES}`);
  if (!pkg.exports?.['.']?.import || !pkg.exports?.['.']?.require) say('exports lacks import or require');

  if (!SERVICES.has(pkg.name)) {
    for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
      if (/^\d/.test(range)) say(`dependency ${dep} is pinned exactly (${range}); use a range`);
    }
  }
  for (const [dep, range] of Object.entries(pkg.peerDependencies ?? {})) {
    if (dep.startsWith('@sentry/') && range !== '^11.12.0') say(`peer ${dep} is ${range}, expected ^11.12.0`);
    if (dep === 'kafkajs' && !pkg.peerDependenciesMeta?.kafkajs?.optional) {
      say('kafkajs is a required peer: HTTP-only services would have to install it');
    }
  }
  if (SERVICES.has(pkg.name) && pkg.peerDependencies)
    say('a service has peers; its libraries are dependencies');
}

if (problems.length > 0) {
  console.error(`package manifests: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('package manifests: every public package is ready to publish');
