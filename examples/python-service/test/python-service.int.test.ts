import { fileURLToPath } from 'node:url';
import { runNodeScript } from '@faultline/testkit';
import { describe, expect, inject, it } from 'vitest';

// The example as a newcomer runs it, on the suite's broker: every event the Python service
// captured is in the topic.
describe('examples/python-service', () => {
  it("sends the Python service's events through the intake into the topic", async () => {
    const result = await runNodeScript(fileURLToPath(new URL('../run-example.mjs', import.meta.url)), {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { PATH: process.env.PATH, FAULTLINE_KAFKA_BROKERS: inject('kafkaBrokers').join(',') },
      timeoutMs: 90_000,
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/captured 1 errors and 1 message; in the topic: 2; missing 0/);
    expect(result.stdout).toContain('order 1002 has a negative total');
    expect(result.stdout).not.toMatch(/4a1f0c2e9b8d7e6f5a4b3c2d1e0f9a8b/);
  }, 120_000);
});
