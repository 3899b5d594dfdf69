import { fileURLToPath } from 'node:url';
import { createIngestDouble, runNodeScript, uniqueName } from '@faultline/testkit';
import { describe, expect, it } from 'vitest';

// A one-shot job in a child process that exits right after the job: the check-ins must have
// been sent anyway (runJobOnce flushes within a bound), and the exit code reflects the outcome.
describe('runJobOnce in a short-lived process', () => {
  it.each([
    ['succeeds', undefined, 0, 'ok'],
    ['fails', '1', 1, 'error'],
  ])('check-ins arrive although the process exits at once: job %s', async (_, fail, code, status) => {
    const ingest = await createIngestDouble();
    try {
      const slug = uniqueName('one-shot');
      const result = await runNodeScript(fileURLToPath(new URL('./fixtures/one-shot.mjs', import.meta.url)), {
        env: {
          PATH: process.env.PATH,
          FIXTURE_DSN: ingest.dsn(4),
          FIXTURE_SLUG: slug,
          ...(fail ? { FIXTURE_FAIL: fail } : {}),
        },
      });
      expect(result.code).toBe(code);
      expect(result.stdout).not.toContain('not reached');
      const checkIns = ingest.items<{ monitor_slug: string; status: string }>('check_in');
      expect(checkIns.map((c) => c.status)).toEqual(['in_progress', status]);
      expect(checkIns[0]).toMatchObject({
        monitor_slug: slug,
        monitor_config: { schedule: { type: 'crontab', value: '0 2 * * *' } },
      });
    } finally {
      await ingest.close();
    }
  });
});
