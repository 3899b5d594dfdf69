/** Milliseconds since the epoch. Injected so tests can drive time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A uniform number in [0, 1). Injected so tests can be seeded. */
export type Random = () => number;

/**
 * A seeded generator (mulberry32): the same seed gives the same sequence, for deterministic
 * tests and simulations. Not for anything that needs unpredictability.
 */
export function createSeededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
