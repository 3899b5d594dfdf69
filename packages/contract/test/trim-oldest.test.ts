import { describe, expect, it } from 'vitest';
import { trimOldest } from '../src/index.js';

describe('trimOldest', () => {
  it('leaves a map at or under its bound alone', () => {
    const map = new Map([...Array(100).keys()].map((k) => [k, k]));
    expect(trimOldest(map, 100)).toBe(0);
    expect(map.size).toBe(100);
  });

  it('deletes the oldest, in insertion order (a touched key is young again), down to 15/16 of the bound', () => {
    const map = new Map<number, number>();
    for (let k = 0; k < 160; k++) map.set(k, k);
    // touch key 0: it moves to the young end
    map.delete(0);
    map.set(0, 0);
    map.set(160, 160);
    expect(trimOldest(map, 160)).toBe(11);
    expect(map.size).toBe(150);
    expect([...map.keys()].slice(0, 2)).toEqual([12, 13]);
    expect(map.has(0)).toBe(true);
  });

  it('skips what keep holds on to, and deletes one at a time under 16', () => {
    const map = new Map<number, boolean>([
      [1, true],
      [2, false],
      [3, true],
      [4, false],
    ]);
    expect(trimOldest(map, 3, (held) => held)).toBe(1);
    expect([...map.keys()]).toEqual([1, 3, 4]);
    expect(trimOldest(new Map([[1, true]]), 0, (held) => held)).toBe(0);
  });

  it('stays bounded through a million inserts and touches', () => {
    const map = new Map<string, number>();
    // Counted, then asserted once: a million expect() calls took 20 s on a loaded machine.
    let largest = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const touched = `k${i - 50}`;
      if (i % 3 === 0 && map.has(touched)) {
        map.delete(touched);
        map.set(touched, i);
      }
      map.set(`k${i}`, i);
      trimOldest(map, 10_000);
      if (map.size > largest) largest = map.size;
    }
    expect(largest).toBe(10_000);
    expect(map.has('k999999')).toBe(true);
  });
});
