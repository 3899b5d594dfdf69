import { describe, expect, it } from 'vitest';
import { createUpstreamGate } from '../src/index.js';

describe('createUpstreamGate', () => {
  const signal = new AbortController().signal;

  it('halves on failure at most once per interval and grows by one per success', async () => {
    let t = 0;
    const gate = createUpstreamGate({
      maxConcurrency: 16,
      backoff: { initialMs: 100, maxMs: 1000 },
      now: () => t,
    });
    expect(await gate.acquire('u', signal)).toBe(true);
    gate.release('u', 'failure');
    expect(gate.limits().u).toBe(8);
    expect(await gate.acquire('u', signal)).toBe(true);
    gate.release('u', 'failure'); // same interval: no second decrease
    expect(gate.limits().u).toBe(8);
    t = 2000;
    expect(await gate.acquire('u', signal)).toBe(true);
    gate.release('u', 'success');
    expect(gate.limits().u).toBe(9);
  });

  it('holds requests beyond the limit until a slot frees, without polling', async () => {
    const gate = createUpstreamGate({ maxConcurrency: 2, backoff: { initialMs: 10, maxMs: 100 } });
    await gate.acquire('u', signal);
    await gate.acquire('u', signal);
    let third = false;
    const pending = gate.acquire('u', signal).then((ok) => {
      third = ok;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(third).toBe(false);
    gate.release('u', 'success');
    await pending;
    expect(third).toBe(true);
  });

  it('closes an upstream after failures in a row, then lets one probe through', async () => {
    const gate = createUpstreamGate({ maxConcurrency: 4, backoff: { initialMs: 200, maxMs: 200 } });
    for (let i = 0; i < 3; i++) {
      await gate.acquire('down', signal);
      gate.release('down', 'failure');
    }
    const started = Date.now();
    await gate.acquire('down', signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90); // equal jitter: at least half of 200 ms
    const other = Date.now();
    await gate.acquire('healthy', signal); // other upstreams are not held back
    expect(Date.now() - other).toBeLessThan(50);
  });

  it('gives up waiting when aborted', async () => {
    const gate = createUpstreamGate({ maxConcurrency: 1, backoff: { initialMs: 10, maxMs: 10 } });
    await gate.acquire('u', signal);
    const controller = new AbortController();
    const waiting = gate.acquire('u', controller.signal);
    controller.abort();
    expect(await waiting).toBe(false);
  });
});
