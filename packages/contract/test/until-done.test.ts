import { describe, expect, it } from 'vitest';
import { untilDone } from '../src/index.js';

function recordingLogger() {
  const lines: string[] = [];
  return {
    lines,
    logger: {
      info: (message: string) => lines.push(`info ${message}`),
      warn: (message: string, fields?: Record<string, unknown>) =>
        lines.push(`warn ${message} ${fields?.reason}`),
    },
  };
}

describe('untilDone', () => {
  it('tries again until the step succeeds, with one line per reason and one when it clears', async () => {
    const { lines, logger } = recordingLogger();
    const reasons = ['ECONNREFUSED', 'ECONNREFUSED', 'no leader', 'no leader'];
    let attempts = 0;
    const done = await untilDone(
      'joining Kafka',
      async () => {
        const reason = reasons[attempts++];
        if (reason) throw new Error(reason);
      },
      { logger, signal: new AbortController().signal, maxDelayMs: 1 },
    );
    expect(done).toBe(true);
    expect(attempts).toBe(5);
    expect(lines).toEqual([
      'warn joining Kafka: waiting ECONNREFUSED',
      'warn joining Kafka: waiting no leader',
      'info joining Kafka: done',
    ]);
  });

  it('throws at once what isFatal names', async () => {
    const { lines, logger } = recordingLogger();
    let attempts = 0;
    const refused = Object.assign(new Error('SASL PLAIN authentication failed'), {
      name: 'KafkaJSSASLAuthenticationError',
    });
    await expect(
      untilDone(
        'joining Kafka',
        async () => {
          attempts++;
          throw refused;
        },
        {
          logger,
          signal: new AbortController().signal,
          isFatal: (error) => (error as Error).name === 'KafkaJSSASLAuthenticationError',
        },
      ),
    ).rejects.toBe(refused);
    expect(attempts).toBe(1);
    expect(lines).toEqual([]);
  });

  it('resolves false once aborted, cutting its wait short', async () => {
    const { logger } = recordingLogger();
    const abort = new AbortController();
    const started = Date.now();
    const waiting = untilDone(
      'joining Kafka',
      async () => {
        throw new Error('ECONNREFUSED');
      },
      { logger, signal: abort.signal, maxDelayMs: 60_000 },
    );
    setTimeout(() => abort.abort(), 50);
    expect(await waiting).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('ends the wait at once when aborted during an attempt, and closes what it connects once it settles', async () => {
    const { logger } = recordingLogger();
    const abort = new AbortController();
    let finish: () => void = () => undefined;
    let closes = 0;
    let closed: () => void = () => undefined;
    const closedOnce = new Promise<void>((resolve) => (closed = resolve));
    const started = Date.now();
    const waiting = untilDone(
      'joining Kafka',
      // As a KafkaJS connect retrying refused brokers inside itself: settles much later.
      () => new Promise<void>((resolve) => (finish = resolve)),
      {
        logger,
        signal: abort.signal,
        closeAbandoned: () => {
          closes++;
          closed();
        },
      },
    );
    setTimeout(() => abort.abort(), 50);
    expect(await waiting).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
    // Closed only once the attempt it left settles: before, it would close nothing it connects.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closes).toBe(0);
    finish();
    await closedOnce;
    expect(closes).toBe(1);
  });

  it('runs closeAbandoned after an attempt that fails, and a close that fails reaches no one', async () => {
    const { logger } = recordingLogger();
    const abort = new AbortController();
    let fail: (error: Error) => void = () => undefined;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    let called: () => void = () => undefined;
    const closeCalled = new Promise<void>((resolve) => (called = resolve));
    try {
      const waiting = untilDone('joining Kafka', () => new Promise<void>((_, reject) => (fail = reject)), {
        logger,
        signal: abort.signal,
        closeAbandoned: () => {
          called();
          return Promise.reject(new Error('disconnect failed'));
        },
      });
      setTimeout(() => abort.abort(), 20);
      expect(await waiting).toBe(false);
      fail(new Error('connect refused'));
      await closeCalled;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
