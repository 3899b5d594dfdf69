import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { exitAfterStop } from '../src/index.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('exitAfterStop', () => {
  it('sets the exit code, and past the grace names what is still open and exits with it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    // A handle left open, as KafkaJS's socket was.
    const server = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      exitAfterStop('faultline-test', 3, 200);
      expect(process.exitCode).toBe(3);
      vi.advanceTimersByTime(199);
      expect(exit).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(exit).toHaveBeenCalledWith(3);
      const line = String(stderr.mock.calls.at(-1)?.[0]);
      expect(line).toMatch(
        /^faultline-test: stopped, but still open after 200 ms: .*TCPServerWrap.*; exiting\n$/,
      );
    } finally {
      server.close();
    }
  });

  it('does not hold the process itself: its timer is unref()ed', () => {
    const timers: NodeJS.Timeout[] = [];
    const real = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms: number) => {
      const timer = real(fn, ms);
      timers.push(timer);
      return timer;
    }) as typeof setTimeout);
    exitAfterStop('faultline-test', 0, 60_000);
    expect(timers).toHaveLength(1);
    expect(timers[0]?.hasRef()).toBe(false);
    clearTimeout(timers[0]);
  });
});
