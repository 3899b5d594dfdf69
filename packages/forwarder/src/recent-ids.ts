import { trimOldest } from '@faultline/contract';
/**
 * The last `max` ids seen, for duplicate suppression: a Map used as an insertion-ordered ring
 * (the oldest id leaves when a new one arrives at the bound). Cheaper per envelope than an LRU,
 * and for redelivered envelopes, which come soon after the first delivery, just as good.
 */
export interface RecentIds {
  has(id: string): boolean;
  add(id: string): void;
  readonly size: number;
}

export function createRecentIds(max: number): RecentIds {
  const ids = new Map<string, true>();
  return {
    has: (id) => ids.has(id),
    add(id) {
      if (ids.has(id)) return;
      ids.set(id, true);
      trimOldest(ids, max);
    },
    get size() {
      return ids.size;
    },
  };
}
