import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';

function serviceDir(pkg: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-cli-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  return dir;
}

function run(argv: string[], env: Record<string, string>, cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  const code = main(argv, env, cwd);
  vi.restoreAllMocks();
  return { code, stdout: out.join(''), stderr: err.join('') };
}

afterEach(() => vi.restoreAllMocks());

describe('faultline release', () => {
  it('prints the release the service will report, from the package.json where it runs and the CI commit', () => {
    const dir = serviceDir({ name: '@acme/checkout', version: '1.4.2' });
    expect(run(['release'], { GITHUB_SHA: 'abc1234def5678' }, dir)).toEqual({
      code: 0,
      stdout: 'acme-checkout@1.4.2+abc1234def56\n',
      stderr: '',
    });
    expect(run(['release'], { SENTRY_RELEASE: 'checkout@2026.12.01' }, dir).stdout).toBe(
      'checkout@2026.12.01\n',
    );
    expect(run(['service'], { OTEL_SERVICE_NAME: 'billing' }, dir).stdout).toBe('billing\n');
    expect(run(['environment'], { NODE_ENV: 'staging' }, dir).stdout).toBe('staging\n');
  });

  it('says so when there is no release, and names a bad setting', () => {
    const dir = serviceDir({ name: 'no-version' });
    const none = run(['release'], {}, dir);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no release');
    const bad = run(['release'], { SENTRY_RELEASE: 'has spaces in it' }, dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('SENTRY_RELEASE');
    expect(run(['bogus'], {}, dir).code).toBe(2);
  });
});
