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
 * `trimOldest` does, so finding the cutoff (a linear selection, not a sort) is paid once per
 * `max / 16` new subjects. Returns how many went.
 */
export function trimLeastSeen<S extends Touched>(
  subjects: Map<string, S>,
  max: number,
  keep?: (subject: S) => boolean,
): number {
  const excess = subjects.size - (max - (max >> 4));
  if (excess <= 0) return 0;
  const stamps = new Float64Array(subjects.size);
  let count = 0;
  for (const subject of subjects.values()) if (!keep?.(subject)) stamps[count++] = subject.seen;
  // Stamps are distinct: everything at or under the cutoff is exactly `excess` subjects.
  const cutoff = count <= excess ? Number.POSITIVE_INFINITY : nthSmallest(stamps, count, excess - 1);
  let deleted = 0;
  for (const [key, subject] of subjects) {
    if (subject.seen > cutoff || keep?.(subject)) continue;
    subjects.delete(key);
    deleted++;
  }
  return deleted;
}

/**
 * The `n`th smallest (from 0) of the first `count` values, found by partitioning in place
 * (Hoare's selection, the middle value as pivot: stamps come nearly in order, which a first-value
 * pivot would make quadratic). Reorders those values.
 */
function nthSmallest(values: Float64Array, count: number, n: number): number {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const swap = values[i] as number;
        values[i] = values[j] as number;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (n <= j) hi = j;
    else if (n >= i) lo = i;
    else break;
  }
  return values[n] as number;
}
