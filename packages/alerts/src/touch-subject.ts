import { trimOldest } from '@faultline/contract';

/**
 * The subject under `key`, made with `make` when new, moved to the recent end (a Map keeps
 * insertion order, so its first entries are the least recently seen). Past `max` subjects the
 * least recently seen are forgotten (see `trimOldest`), unless `keep` says one is in an episode:
 * open episodes stay.
 */
export function touchSubject<S>(
  subjects: Map<string, S>,
  key: string,
  make: () => S,
  max: number,
  keep: (subject: S) => boolean,
): S {
  const existing = subjects.get(key);
  if (existing !== undefined) subjects.delete(key);
  const subject = existing ?? make();
  subjects.set(key, subject);
  trimOldest(subjects, max, keep);
  return subject;
}
