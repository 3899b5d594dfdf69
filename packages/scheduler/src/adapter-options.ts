import type { JobConfig } from './monitor-job.js';

/** Monitor settings for an adapter; the schedule and time zone come from the job itself unless given. */
export type AdapterMonitorOptions = Partial<JobConfig>;

/** What an adapter returns: the library's job and Faultline's view of it. */
export interface ScheduledJob<J> {
  job: J;
  /** Runs counted so far, by outcome. */
  stats(): { runs: number; ok: number; errors: number; timeouts: number; skipped: number; running: number };
  /** Stops the schedule and releases the monitor slug. */
  stop(): void;
}

/** The scheduled time of a tick: now, to the second (the libraries fire on second boundaries). */
export function tickTime(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}
