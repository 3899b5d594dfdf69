import { trimOldest } from '@faultline/contract';
import type { AlertTransition } from './alert-transition.js';

/** What the book remembers of one subject, small enough to keep in a compacted topic. */
export interface EpisodeRecord {
  status: 'firing' | 'resolved';
  firedAt: number;
  resolvedAt?: number;
}

export interface EpisodeBook {
  /** Whether this transition should be sent: once per episode, and a resolve only after its fire. */
  admit(transition: AlertTransition): boolean;
  /** Records a transition that was sent. */
  sent(transition: AlertTransition): EpisodeRecord;
  /** Loads a record written earlier (at start-up, from the state topic). */
  restore(key: string, record: EpisodeRecord): void;
  get(key: string): EpisodeRecord | undefined;
}

/**
 * Once per episode across restarts: the rules are rebuilt by reading the topic again, so they
 * replay transitions already sent. A fire is sent unless its subject is open, or was resolved
 * after this fire's time (a replayed episode); a resolve only closes an open episode it follows.
 */
export function createEpisodeBook(maxSubjects = 100_000): EpisodeBook {
  const records = new Map<string, EpisodeRecord>();
  const put = (key: string, record: EpisodeRecord) => {
    records.delete(key);
    records.set(key, record);
    trimOldest(records, maxSubjects);
  };
  return {
    admit(t) {
      const record = records.get(t.key);
      if (t.status === 'firing') {
        if (!record) return true;
        if (record.status === 'firing') return false;
        return t.at > (record.resolvedAt ?? 0);
      }
      return record?.status === 'firing' && t.at >= record.firedAt;
    },
    sent(t) {
      const previous = records.get(t.key);
      const record: EpisodeRecord =
        t.status === 'firing'
          ? { status: 'firing', firedAt: t.at }
          : { status: 'resolved', firedAt: previous?.firedAt ?? t.at, resolvedAt: t.at };
      put(t.key, record);
      return record;
    },
    restore(key, record) {
      put(key, record);
    },
    get(key) {
      return records.get(key);
    },
  };
}
