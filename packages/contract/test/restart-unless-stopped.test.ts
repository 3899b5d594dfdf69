import { describe, expect, it } from 'vitest';
import { restartUnlessStopped, stoppedConsumerError } from '../src/index.js';

// The KafkaJS behaviour it guards against is shown against a real broker in
// packages/alerts/test/restart-unless-stopped.int.test.ts; here, only how the option is composed.
describe('restartUnlessStopped', () => {
  const error = new Error('crashed');

  it("keeps KafkaJS's default of 5 retries and restarts until stopped", async () => {
    let stopped = false;
    const retry = restartUnlessStopped(() => stopped);
    expect(retry.retries).toBe(5);
    expect(await retry.restartOnFailure?.(error)).toBe(true);
    stopped = true;
    expect(await retry.restartOnFailure?.(error)).toBe(false);
  });

  it("keeps the caller's retry settings and asks its own restartOnFailure only while not stopped", async () => {
    let stopped = false;
    const asked: Error[] = [];
    const retry = restartUnlessStopped(() => stopped, {
      retries: 2,
      initialRetryTime: 50,
      restartOnFailure: async (e) => {
        asked.push(e);
        return false;
      },
    });
    expect(retry).toMatchObject({ retries: 2, initialRetryTime: 50 });
    expect(await retry.restartOnFailure?.(error)).toBe(false);
    expect(asked).toEqual([error]);
    stopped = true;
    expect(await retry.restartOnFailure?.(error)).toBe(false);
    expect(asked).toHaveLength(1);
  });

  it('stoppedConsumerError is an error KafkaJS will not retry (retriable: false)', () => {
    const error = stoppedConsumerError();
    expect(error).toBeInstanceOf(Error);
    expect((error as Error & { retriable?: boolean }).retriable).toBe(false);
  });
});
