import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

// deploy/ holds a Dockerfile for a service, the forwarder and the intake, and Kubernetes manifests
// for the forwarder, the alerts and the intake. Docker and a cluster are not available here, so each file is checked
// as far as it can be without them: it parses, and every variable, command, path and port it
// names exists in the code it configures.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const sources = [
  'core',
  'forwarder',
  'alerts',
  'intake',
  'kafka-transport',
  'sampling',
  'scrubbing',
  'spool',
  'contract',
]
  .flatMap((pkg) =>
    readdirSync(join(root, 'packages', pkg, 'src'), { recursive: true })
      .map(String)
      .filter((file) => file.endsWith('.ts'))
      .map((file) => read(join('packages', pkg, 'src', file))),
  )
  .join('\n');
const binOf = (pkg: string) =>
  Object.keys(
    (JSON.parse(read(`packages/${pkg}/package.json`)) as { bin?: Record<string, string> }).bin ?? {},
  );

/** Every FAULTLINE_* or SENTRY_* variable a text names. */
const variablesIn = (text: string) => [...new Set(text.match(/\b(?:FAULTLINE|SENTRY)_[A-Z0-9_]+\b/g) ?? [])];

const DOCKERFILE_INSTRUCTIONS = new Set([
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
]);

/** Instructions with their continuation lines joined, comments left out. */
function instructions(dockerfile: string): { keyword: string; rest: string }[] {
  return dockerfile
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.trim().split(/\s+/);
      return { keyword, rest: rest.join(' ') };
    });
}

describe('deploy/docker', () => {
  for (const file of ['service.Dockerfile', 'forwarder.Dockerfile', 'intake.Dockerfile']) {
    it(`${file}: known instructions, a non-root user, SIGTERM, JSON-form commands, variables that exist`, () => {
      const text = read(`deploy/docker/${file}`);
      const parsed = instructions(text);
      expect(parsed.map((i) => i.keyword).filter((k) => !DOCKERFILE_INSTRUCTIONS.has(k))).toEqual([]);
      expect(parsed[0]?.keyword).toBe('FROM');
      expect(parsed.find((i) => i.keyword === 'USER')?.rest).toBe('node');
      expect(parsed.find((i) => i.keyword === 'STOPSIGNAL')?.rest).toBe('SIGTERM');
      for (const { keyword, rest } of parsed.filter((i) => ['CMD', 'ENTRYPOINT'].includes(i.keyword))) {
        // The exec form: the process gets the signal itself, not a shell that drops it.
        expect(() => JSON.parse(rest), `${keyword} ${rest}`).not.toThrow();
      }
      expect(variablesIn(text).filter((v) => !sources.includes(v))).toEqual([]);
    });
  }

  it('service.Dockerfile preloads an entry point @faultline/core exports', () => {
    const cmd = JSON.parse(
      instructions(read('deploy/docker/service.Dockerfile')).find((i) => i.keyword === 'CMD')?.rest ?? '[]',
    );
    expect(cmd.slice(0, 3)).toEqual(['node', '--import', '@faultline/core/init']);
    const exports = JSON.parse(read('packages/core/package.json')).exports as Record<string, unknown>;
    expect(Object.keys(exports)).toContain('./init');
  });

  it('forwarder.Dockerfile runs a bin the package has, and probes the port it exposes', () => {
    const parsed = instructions(read('deploy/docker/forwarder.Dockerfile'));
    const entry = JSON.parse(parsed.find((i) => i.keyword === 'ENTRYPOINT')?.rest ?? '[]');
    expect(binOf('forwarder')).toContain(entry[0]);
    const port = parsed.find((i) => i.keyword === 'EXPOSE')?.rest;
    const envs = parsed.filter((i) => i.keyword === 'ENV').map((i) => i.rest);
    expect(envs).toContain(`FAULTLINE_FORWARDER_METRICS_PORT=${port}`);
    expect(parsed.find((i) => i.keyword === 'HEALTHCHECK')?.rest).toContain(
      `http://127.0.0.1:${port}/healthz`,
    );
  });

  it('intake.Dockerfile runs the bin, probes the port it serves on, and puts the spool on a volume', () => {
    const parsed = instructions(read('deploy/docker/intake.Dockerfile'));
    const entry = JSON.parse(parsed.find((i) => i.keyword === 'ENTRYPOINT')?.rest ?? '[]');
    expect(binOf('intake')).toContain(entry[0]);
    const port = parsed.find((i) => i.keyword === 'EXPOSE')?.rest;
    const envs = parsed.filter((i) => i.keyword === 'ENV').map((i) => i.rest);
    expect(envs).toContain(`FAULTLINE_INTAKE_PORT=${port}`);
    expect(parsed.find((i) => i.keyword === 'HEALTHCHECK')?.rest).toContain(
      `http://127.0.0.1:${port}/healthz`,
    );
    const volume = parsed.find((i) => i.keyword === 'VOLUME')?.rest as string;
    expect(envs.find((e) => e.startsWith('FAULTLINE_INTAKE_SPOOL_DIR='))).toMatch(new RegExp(`=${volume}/`));
  });
});

type Container = {
  command?: string[];
  env?: { name: string }[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
  startupProbe?: { httpGet: { path: string; port: string } };
  resources?: { requests?: { memory?: string }; limits?: { memory?: string } };
};
type Manifest = {
  kind: string;
  metadata: { name: string };
  spec: {
    selector?: { matchLabels: Record<string, string> };
    template?: { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } };
  };
};

describe('deploy/kubernetes', () => {
  const cases = [
    { file: 'forwarder.yaml', pkg: 'forwarder', health: 'packages/forwarder/src/health-server.ts' },
    { file: 'alerts.yaml', pkg: 'alerts', health: 'packages/alerts/src/health-server.ts' },
    { file: 'intake.yaml', pkg: 'intake', health: 'packages/intake/src/create-intake.ts' },
  ];
  for (const { file, pkg, health } of cases) {
    it(`${file}: a Deployment and a PodDisruptionBudget that select it, probes the service answers, variables that exist`, () => {
      const text = read(`deploy/kubernetes/${file}`);
      const documents = parseAllDocuments(text);
      expect(documents.flatMap((d) => d.errors)).toEqual([]);
      const manifests = documents.map((d) => d.toJS() as Manifest);
      // The intake is a StatefulSet: each pod's spool on a volume of its own.
      const deployment = manifests.find((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet');
      const budget = manifests.find((m) => m.kind === 'PodDisruptionBudget');
      expect(deployment && budget).toBeTruthy();
      const labels = deployment?.spec.template?.metadata.labels ?? {};
      expect(deployment?.spec.selector?.matchLabels).toEqual(labels);
      expect(budget?.spec.selector?.matchLabels).toEqual(labels);

      const container = deployment?.spec.template?.spec.containers[0] as Container;
      if (container.command) expect(binOf(pkg)).toContain(container.command[0]);
      const served = read(health);
      const portNames = (container.ports ?? []).map((p) => p.name);
      for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
        expect(served).toContain(`'${probe?.httpGet.path}'`);
        expect(portNames).toContain(probe?.httpGet.port);
      }
      expect(container.livenessProbe?.httpGet.path).toBe('/healthz');
      expect(container.readinessProbe?.httpGet.path).toBe('/readyz');
      // The port the probes use is the one the service is told to serve on.
      const portVariable = (container.env ?? []).find((e) => /_(METRICS|HEALTH|INTAKE)_PORT$/.test(e.name)) as
        | { name: string; value: string }
        | undefined;
      expect(Number(portVariable?.value)).toBe(container.ports?.[0]?.containerPort);
      expect(container.resources?.requests?.memory).toMatch(/^\d+Mi$/);
      expect(container.resources?.limits?.memory).toMatch(/^\d+Mi$/);
      expect(variablesIn(text).filter((v) => !sources.includes(v))).toEqual([]);
    });
  }
});

describe('docs/deploying.md', () => {
  it('names only variables that exist', () => {
    const text = read('docs/deploying.md');
    // `FAULTLINE_SPOOL_MAX_BYTES` and the like; prefixes written as `_SASL_*` are not names.
    expect(variablesIn(text).filter((v) => !v.endsWith('_') && !sources.includes(v))).toEqual([]);
  });
});
