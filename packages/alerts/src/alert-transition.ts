export type AlertRuleName = 'spike' | 'regression' | 'degradation';

/** A rule's condition starting (`firing`) or clearing (`resolved`) for one subject. */
export interface AlertTransition {
  rule: AlertRuleName;
  /** The episode's subject, stable across restarts: `spike:issue:42:<fingerprint>`, `regression:42:<release>`... */
  key: string;
  status: 'firing' | 'resolved';
  project: string;
  /** One line for humans; never holds a DSN. */
  summary: string;
  details: Record<string, unknown>;
  /** Event time the transition belongs to (the end of the minute evaluated), epoch ms. */
  at: number;
}

export const MINUTE_MS = 60_000;

export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS);
}
