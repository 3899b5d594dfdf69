import { createSeededRandom } from '@faultline/sampling';
import { describe, expect, it } from 'vitest';
import { type Touched, touchSubject, trimLeastSeen } from '../src/touch-subject.js';

interface Subject extends Touched {
  name: string;
  open: boolean;
}

function fill(subjects: Map<string, Subject>, names: string[], max: number): void {
  for (const name of names) touchSubject(subjects, name, () => ({ name, open: false, seen: 0 }), max);
}

const names = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `s${from + i}`);

describe('touchSubject', () => {
  it('returns the subject it made once, and the same one on every later touch', () => {
    const subjects = new Map<string, Subject>();
    const first = touchSubject(subjects, 'a', () => ({ name: 'a', open: false, seen: 0 }), 10);
    const again = touchSubject(subjects, 'a', () => ({ name: 'other', open: false, seen: 0 }), 10);
    expect(again).toBe(first);
    expect(subjects.size).toBe(1);
  });

  it('forgets the least recently touched first, not the first made: a subject touched again stays', () => {
    const subjects = new Map<string, Subject>();
    fill(subjects, names(0, 16), 16);
    fill(subjects, ['s0', 's3'], 16);
    // The 17th subject: down to 15 (16 less a sixteenth), so the two touched longest ago go.
    fill(subjects, ['s16'], 16);
    expect([...subjects.keys()].sort()).toEqual(
      [...names(0, 17)].filter((name) => name !== 's1' && name !== 's2').sort(),
    );
  });

  it('keeps the subjects `keep` holds (open episodes), however long ago they were touched', () => {
    const subjects = new Map<string, Subject>();
    fill(subjects, names(0, 16), 16);
    for (const name of ['s0', 's1']) (subjects.get(name) as Subject).open = true;
    touchSubject(
      subjects,
      's16',
      () => ({ name: 's16', open: false, seen: 0 }),
      16,
      (s) => s.open,
    );
    expect(subjects.has('s0') && subjects.has('s1')).toBe(true);
    expect(subjects.has('s2') || subjects.has('s3')).toBe(false);
    expect(subjects.size).toBe(15);
  });

  it('stays within its bound over 200,000 distinct subjects, deleting in batches', () => {
    const subjects = new Map<string, Subject>();
    let largest = 0;
    for (let i = 0; i < 200_000; i++) {
      const name = `s${i}`;
      touchSubject(subjects, name, () => ({ name, open: false, seen: 0 }), 10_000);
      if (subjects.size > largest) largest = subjects.size;
    }
    expect(largest).toBe(10_000);
    // The newest are the ones left.
    expect(subjects.has('s199999') && !subjects.has('s0')).toBe(true);
  });
});

describe('trimLeastSeen', () => {
  it('deletes nothing under the bound, and only unkept subjects over it, even if that leaves it over', () => {
    const subjects = new Map<string, Subject>();
    fill(subjects, names(0, 20), 100);
    expect(trimLeastSeen(subjects, 100)).toBe(0);
    for (const subject of subjects.values()) subject.open = true;
    expect(trimLeastSeen(subjects, 16, (s) => s.open)).toBe(0);
    expect(subjects.size).toBe(20);
  });
});

describe('trimLeastSeen, against a sort', () => {
  it('deletes exactly the least recently touched, for touch orders of every kind', () => {
    const random = createSeededRandom(11);
    const next = (n: number) => Math.floor(random() * n);
    for (let round = 0; round < 200; round++) {
      const max = 16 + next(200);
      const subjects = new Map<string, Subject>();
      const order = round % 3;
      // In order, in reverse, or at random: the selection must not depend on it.
      for (let i = 0; i < max; i++) {
        const name = `s${i}`;
        subjects.set(name, { name, open: next(10) === 0, seen: 0 });
      }
      const stamps = Array.from({ length: max }, (_, i) =>
        order === 0 ? i : order === 1 ? max - i : next(1e9),
      );
      let k = 0;
      for (const subject of subjects.values()) subject.seen = (stamps[k++] as number) * 1000 + k;
      const extra = { name: 'new', open: false, seen: Number.MAX_SAFE_INTEGER };
      subjects.set('new', extra);
      const unkept = [...subjects.values()].filter((s) => !s.open).sort((a, b) => a.seen - b.seen);
      const excess = subjects.size - (max - (max >> 4));
      const expected = new Set(unkept.slice(0, excess).map((s) => s.name));
      trimLeastSeen(subjects, max, (s) => s.open);
      for (const name of expected) expect(subjects.has(name), name).toBe(false);
      expect(subjects.size).toBe(max + 1 - Math.min(excess, unkept.length));
    }
  });
});
