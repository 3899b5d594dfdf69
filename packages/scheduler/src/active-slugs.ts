import { ScheduleError } from './crontab.js';

const active = new Set<string>();

/**
 * Registers a monitor slug for a scheduled job, refusing one already scheduled in this process:
 * two jobs reporting to one monitor would corrupt its check-in history (double instrumentation).
 * Returns a function that releases it (when the job is stopped).
 */
export function claimSlug(slug: string): () => void {
  if (active.has(slug)) {
    throw new ScheduleError(
      `monitor "${slug}" is already scheduled in this process; stop it before scheduling it again`,
    );
  }
  active.add(slug);
  return () => active.delete(slug);
}
