import { fileURLToPath } from 'node:url';
import { connectBugsink, runNodeScript } from '@faultline/testkit';
import { describe, expect, inject, it } from 'vitest';

// `npm run demo` as a newcomer runs it. CI also runs it plain (local sink, `.ci/run`); these are
// the two other ways it must work: without Java, and with SENTRY_DSN naming a real project
// (Bugsink here), where the closing line must match what the project stored.
const DEMO = fileURLToPath(new URL('../demo/run-demo.mjs', import.meta.url));
const CWD = fileURLToPath(new URL('..', import.meta.url));
const LAST_LINE =
  /^demo: captured (\d+), kept (\d+), dropped (\d+), spooled (\d+), delivered (\d+), lost (\d+)$/;

function closingLine(stdout: string) {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  const match = LAST_LINE.exec(line);
  if (!match) throw new Error(`no closing line; the demo printed:\n${stdout}`);
  const [captured, kept, dropped, spooled, delivered, lost] = match.slice(1).map(Number);
  return { captured, kept, dropped, spooled, delivered, lost };
}

describe('npm run demo', () => {
  it('without Java, says what the pipeline needs, runs the HTTP-only part and exits 0', async () => {
    const result = await runNodeScript(DEMO, { cwd: CWD, env: { PATH: '/nonexistent' }, timeoutMs: 60_000 });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('Java 17 is not installed: showing the HTTP-only part');
    const figures = closingLine(result.stdout);
    expect(figures.lost).toBe(0);
    expect(figures.captured).toBe(603);
    expect(figures.delivered).toBe(figures.kept);
    expect(figures.kept + figures.dropped).toBe(figures.captured);
  });

  it('with SENTRY_DSN, delivers through Kafka and the forwarder to that project, as many as it says', async () => {
    const bugsink = connectBugsink(inject('bugsink'));
    const project = await bugsink.createProject('demo');
    const result = await runNodeScript(DEMO, {
      cwd: CWD,
      env: {
        PATH: process.env.PATH,
        SENTRY_DSN: project.dsn,
        ...(process.env.FAULTLINE_CACHE_DIR ? { FAULTLINE_CACHE_DIR: process.env.FAULTLINE_CACHE_DIR } : {}),
      },
      timeoutMs: 240_000,
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('the spool drained');
    const figures = closingLine(result.stdout);
    expect(figures.lost).toBe(0);
    expect(figures.spooled).toBeGreaterThan(0);
    const stored = await bugsink.waitForEvents(project.id, figures.kept, 60_000);
    expect(stored).toHaveLength(figures.kept);
    expect(figures.kept + figures.dropped).toBe(figures.captured);
  }, 300_000);
});
