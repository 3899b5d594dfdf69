import { describe, expect, it } from 'vitest';
import { createSeededRandom, createTargetController, rebalance } from '../src/index.js';
import { fakeClock } from './fake-clock.js';

describe('rebalance', () => {
  const counts = [1000, 300, 50, 10, 1];

  it('keeps the flat rate at intensity 0, and the total at any intensity', () => {
    expect(rebalance(counts, 0.1, 0, 0)).toEqual([0.1, 0.1, 0.1, 0.1, 0.1]);
    for (const intensity of [0, 0.5, 0.8, 1]) {
      const rates = rebalance(counts, 0.1, intensity, 0);
      const kept = rates.reduce((sum, rate, i) => sum + rate * (counts[i] ?? 0), 0);
      expect(kept).toBeCloseTo(136.1, 6);
    }
  });

  it('boosts rare classes and thins hot ones', () => {
    const rates = rebalance(counts, 0.1, 0.8, 0);
    expect(rates[4]).toBe(1);
    expect(rates[3]).toBe(1);
    expect(rates[0]).toBeLessThan(0.1);
  });

  it('gives every class the same kept count at intensity 1 where volume allows', () => {
    const rates = rebalance([1000, 1000, 400], 0.3, 1, 0);
    const kept = rates.map((rate, i) => rate * ([1000, 1000, 400][i] ?? 0));
    expect(kept[0]).toBeCloseTo(240);
    expect(kept[1]).toBeCloseTo(240);
    expect(kept[2]).toBeCloseTo(240);
  });

  it('never goes below the minimum rate', () => {
    expect(Math.min(...rebalance(counts, 0.001, 1, 0.01))).toBe(0.01);
  });
});

describe('createTargetController', () => {
  it('converges to the target with 50 skewed routes, still sampling every rare one', () => {
    const clock = fakeClock();
    const random = createSeededRandom(7);
    const target = 600;
    const controller = createTargetController({ perMinute: target }, clock);
    // Zipf-like traffic: route i gets weight 1/(i+1)^1.2; about 12,000 root spans per minute.
    const weights = Array.from({ length: 50 }, (_, i) => 1 / (i + 1) ** 1.2);
    const sum = weights.reduce((a, b) => a + b, 0);
    const perSecond = 200;
    const sampledPerMinute: number[] = [];
    const keptByRoute = new Array<number>(50).fill(0);
    for (let minute = 0; minute < 6; minute++) {
      let sampled = 0;
      for (let second = 0; second < 60; second++) {
        for (let n = 0; n < perSecond; n++) {
          let pick = random() * sum;
          let route = 0;
          while (route < 49 && pick > (weights[route] ?? 0)) pick -= weights[route++] ?? 0;
          const rate = controller.observe(`/route/${route}`) ?? 1;
          if (random() < rate) {
            sampled++;
            if (minute >= 3) keptByRoute[route] = (keptByRoute[route] ?? 0) + 1;
          }
        }
        clock.advance(1000);
      }
      sampledPerMinute.push(sampled);
    }
    // After a few intervals the total is within 10% of the target, minute after minute.
    for (const sampled of sampledPerMinute.slice(2)) {
      expect(Math.abs(sampled - target) / target).toBeLessThan(0.1);
    }
    // Rare routes are boosted: every route is still sampled.
    expect(keptByRoute.every((kept) => kept > 0)).toBe(true);
    // The rarest route keeps a far larger share of its traffic than the hottest.
    const rates = controller.rates();
    expect(rates.get('/route/49') ?? 0).toBeGreaterThan(10 * (rates.get('/route/0') ?? 1));
  });

  it('bounds the classes it tracks', () => {
    const clock = fakeClock();
    const controller = createTargetController({ perMinute: 100, maxClasses: 20 }, clock);
    for (let i = 0; i < 1000; i++) controller.observe(`/unique/${i}`);
    clock.advance(10_000);
    expect(controller.rates().size).toBeLessThanOrEqual(21);
  });

  it('forgets classes not seen for a whole window', () => {
    const clock = fakeClock();
    const controller = createTargetController({ perMinute: 100 }, clock);
    controller.observe('/once');
    clock.advance(10_000);
    controller.observe('/steady');
    expect(controller.rates().has('/once')).toBe(true);
    for (let i = 0; i < 7; i++) {
      clock.advance(10_000);
      controller.observe('/steady');
    }
    expect(controller.rates().has('/once')).toBe(false);
  });
});
