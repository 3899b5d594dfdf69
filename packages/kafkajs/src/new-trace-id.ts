import { randomFillSync } from 'node:crypto';

/** Trace ids drawn per `randomFillSync` call. */
const IDS_PER_DRAW = 256;
const pool = Buffer.allocUnsafe(16 * IDS_PER_DRAW);
let next = pool.length;

/**
 * A new random trace id (32 hex digits), as Sentry's `generateTraceId` makes, at a fraction of its
 * cost: Sentry formats a `crypto.randomUUID()` and strips its dashes with a regular expression
 * (0.5-0.8 µs on this project's machines), where a message needs only 16 random bytes. The bytes
 * come from the same CSPRNG, drawn 256 ids at a time.
 */
export function newTraceId(): string {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const id = pool.toString('hex', next, next + 16);
  next += 16;
  return id;
}
