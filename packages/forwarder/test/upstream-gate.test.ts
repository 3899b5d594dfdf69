import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUpstreamGate, type UpstreamChange, type UpstreamPermit } from '../src/index.js';

// The gate alone, on a fake clock: what it decides from the order in which answers come back.
// The whole forwarder against a fault server is in forwarder-faults.int.test.ts.
describe('createUpstreamGate', () => {
  const signal = new AbortController().signal;
  let changes: UpstreamChange[];
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    changes = [];
  });
  afterEach(() => vi.useRealTimers());
  const gateOf = (maxConcurrency: number) =>
    createUpstreamGate({ maxConcurrency, onChange: (c) => changes.push(c) });
  /** Takes `n` permits at once (the limit allowing). */
  const take = async (gate: ReturnType<typeof gateOf>, n: number) => {
    const permits: UpstreamPermit[] = [];
    for (let i = 0; i < n; i++) permits.push((await gate.acquire('u', signal)) as UpstreamPermit);
    return permits;
  };

  it('parks 300 waiters behind one listener on the stop signal; all get nothing when it fires, and a grant removes its own', async () => {
    const gate = gateOf(1);
    const stop = new AbortController();
    const [held] = await take(gate, 1);
    const waiting = Array.from({ length: 300 }, () => gate.acquire('u', stop.signal));
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(1);
    gate.release(held as UpstreamPermit, 'success');
    const first = (await waiting[0]) as UpstreamPermit;
    expect(first.upstream).toBe('u');
    stop.abort();
    expect(await Promise.all(waiting.slice(1))).toEqual(Array(299).fill(undefined));
    expect(gate.snapshot().u?.inFlight).toBe(1);
  });

  it('keeps an upstream open when a few fast 503s complete before the slow successes started beside them', async () => {
    const gate = gateOf(256);
    // 256 requests at once; 13 (5%) are answered 503 at once, the rest 200 after a round trip.
    const permits = await take(gate, 256);
    for (const p of permits.slice(0, 13)) gate.release(p, 'failure');
    await vi.advanceTimersByTimeAsync(50);
    for (const p of permits.slice(13)) gate.release(p, 'success');
    expect(changes).toEqual([]);
    expect(gate.snapshot().u?.status).toBe('open');
  });

  it('stays open at full limit through a steady stream with 5% fast failures', async () => {
    const gate = gateOf(64);
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const answers: { at: number; permit: UpstreamPermit; ok: boolean }[] = [];
    for (let ms = 0; ms < 3000; ms++) {
      // Start whatever the limit allows, answer what is due, then move the clock on.
      while ((gate.snapshot().u?.inFlight ?? 0) < (gate.snapshot().u?.limit ?? 64)) {
        const permit = (await gate.acquire('u', signal)) as UpstreamPermit;
        const ok = random() >= 0.05;
        answers.push({ at: ms + (ok ? 50 : 0), permit, ok });
      }
      for (const a of answers.filter((x) => x.at <= ms)) {
        gate.release(a.permit, a.ok ? 'success' : 'failure');
        answers.splice(answers.indexOf(a), 1);
      }
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(changes).toEqual([]);
    expect(gate.snapshot().u?.limit).toBe(64);
    expect(gate.snapshot().u?.failureRatio).toBeGreaterThan(0.02);
    expect(gate.snapshot().u?.failureRatio).toBeLessThan(0.1);
  });

  it('closes an upstream that fails everything, probes it, and reopens at once on the first answer', async () => {
    const gate = gateOf(64);
    for (const p of await take(gate, 4)) gate.release(p, 'success');
    await vi.advanceTimersByTimeAsync(10);
    // Down: every request fails at once.
    for (const p of await take(gate, 8)) gate.release(p, 'failure');
    expect(changes.map((c) => c.status)).toEqual(['closed']);
    expect(changes[0]?.reason).toBe('8 failures since the last success');
    // While closed nothing is granted, however many wait.
    const waiting = Array.from({ length: 20 }, () => gate.acquire('u', signal));
    await vi.advanceTimersByTimeAsync(40);
    expect(gate.snapshot().u?.inFlight).toBe(0);
    // Probes go one at a time, at most 400 ms apart; failed probes keep it closed.
    await vi.advanceTimersByTimeAsync(100);
    expect(gate.snapshot().u).toMatchObject({ status: 'probing', inFlight: 1 });
    const first = (await waiting[0]) as UpstreamPermit;
    expect(first.probe).toBe(true);
    gate.release(first, 'failure');
    expect(gate.snapshot().u?.status).toBe('closed');
    for (let probe = 1; probe < 6; probe++) {
      await vi.advanceTimersByTimeAsync(400);
      const p = (await waiting[probe]) as UpstreamPermit;
      expect(p.probe).toBe(true);
      if (probe < 5) gate.release(p, 'failure');
      else gate.release(p, 'success'); // back
    }
    const reopened = changes.at(-1);
    expect(reopened).toMatchObject({ status: 'open', previous: 'probing', probes: 6 });
    // Slow start: 8 at once, doubling per round of successes, back to the last good limit.
    expect(gate.snapshot().u).toMatchObject({ status: 'open', limit: 8, inFlight: 8 });
    const round = (await Promise.all(waiting.slice(6, 14))) as UpstreamPermit[];
    for (const p of round) gate.release(p, 'success');
    expect(gate.snapshot().u?.limit).toBe(16);
    for (const p of (await Promise.all(waiting.slice(14))) as UpstreamPermit[]) gate.release(p, 'success');
    expect(gate.snapshot().u).toMatchObject({ limit: 22, inFlight: 0 });
  });

  it('ignores what requests started before a change of status say afterwards', async () => {
    const gate = gateOf(64);
    await vi.advanceTimersByTimeAsync(10);
    const old = await take(gate, 40); // hung, e.g.: answered only after the upstream was closed
    for (const p of await take(gate, 24)) gate.release(p, 'failure');
    // 24 failures but 40 still out: not yet closed; once the 40 fail too, it closes.
    expect(changes).toEqual([]);
    for (const p of old.slice(0, 20)) gate.release(p, 'failure');
    expect(changes.map((c) => c.status)).toEqual(['closed']);
    await vi.advanceTimersByTimeAsync(100);
    const probe = (await gate.acquire('u', signal)) as UpstreamPermit;
    gate.release(probe, 'answered'); // a 429 or a 400 is an answer: the upstream is up
    expect(gate.snapshot().u?.status).toBe('open');
    // The other 20 hung requests now time out: they started before the reopening, so no close.
    for (const p of old.slice(20)) gate.release(p, 'failure');
    expect(changes.map((c) => c.status)).toEqual(['closed', 'probing', 'open']);
  });

  it('halves the limit when a quarter of answers fail, at most once a second, and climbs back by one per round trip', async () => {
    const gate = gateOf(40);
    // Each round's requests start together and are answered in the same millisecond, successes
    // first: the failures did not start after a success, so they count for the ratio alone.
    const round = async (failures: number) => {
      const permits = await take(gate, gate.snapshot().u?.limit ?? 40);
      permits.forEach((p, i) => {
        gate.release(p, i >= permits.length - failures ? 'failure' : 'success');
      });
    };
    await round(0);
    await round(12); // 12 of 80 answers in the window: 15%, below the bound
    expect(gate.snapshot().u?.limit).toBe(40);
    await round(30); // 42 of 120: over 25%
    expect(gate.snapshot().u?.limit).toBe(20);
    await round(10); // within the same second: no second halving
    expect(gate.snapshot().u?.limit).toBeGreaterThanOrEqual(20);
    const limit = gate.snapshot().u?.limit ?? 0;
    await vi.advanceTimersByTimeAsync(1100);
    await round(0);
    // Above the threshold: additive increase, about one per round of `limit` successes.
    expect(gate.snapshot().u?.limit).toBe(limit + 1);
    expect(changes).toEqual([]);
  });

  it('gives up waiting when aborted', async () => {
    const gate = gateOf(1);
    await gate.acquire('u', signal);
    const controller = new AbortController();
    const waiting = gate.acquire('u', controller.signal);
    controller.abort();
    expect(await waiting).toBeUndefined();
  });
});
