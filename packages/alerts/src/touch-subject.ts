/** What the rules keep per subject: `seen` orders them by their last touch (a counter, not a time). */
export interface Touched {
  seen: number;
}

/** One counter for every map: only the order of touches matters, and it never repeats. */
let touches = 0;

/**
 * The subject under `key`, made with `make` when new, stamped as the most recently seen. Past
 * `max` subjects the least recently seen are forgotten (see `trimLeastSeen`), unless `keep` says
 * one is in an episode: open episodes stay.
 *
 * A touch writes a stamp and leaves the Map as it is. Keeping a Map in recency order instead (a
 * delete and a set per touch) leaves a deleted slot behind each time, which V8 reclaims only by
 * rebuilding the table: the alerts spent 9% of their main thread there, in four such Maps touched
 * per error.
 */
export function touchSubject<S extends Touched>(
  subjects: Map<string, S>,
  key: string,
  make: () => S,
  max: number,
  keep?: (subject: S) => boolean,
): S {
  let subject = subjects.get(key);
  if (subject === undefined) {
    subject = make();
    subject.seen = ++touches;
    subjects.set(key, subject);
    if (subjects.size > max) trimLeastSeen(subjects, max, keep);
  } else subject.seen = ++touches;
  return subject;
}

/**
 * Holds `subjects` to `max`: past it, deletes the least recently seen down to 15/16 of `max` in
 * one pass, skipping those `keep` holds on to (which may leave it above `max`). In batches, as
 * `trimOldest` does, so the sort is paid once per `max / 16` new subjects. Returns how many went.
 */
export function trimLeastSeen<S extends Touched>(
  subjects: Map<string, S>,
  max: number,
  keep?: (subject: S) => boolean,
): number {
  const excess = subjects.size - (max - (max >> 4));
  if (excess <= 0) return 0;
  const stamps: number[] = [];
  for (const subject of subjects.values()) if (!keep?.(subject)) stamps.push(subject.seen);
  // Stamps are distinct: everything at or under the cutoff is exactly `excess` subjects.
  const cutoff =
    stamps.length <= excess
      ? Number.POSITIVE_INFINITY
      : (Float64Array.from(stamps).sort()[excess - 1] as number);
  let deleted = 0;
  for (const [key, subject] of subjects) {
    if (subject.seen > cutoff || keep?.(subject)) continue;
    subjects.delete(key);
    deleted++;
  }
  return deleted;
}
