/**
 * Every code a Faultline error carries. Stable across releases: match on `error.code`, not on
 * the message. The table with what each means is in docs/errors.md.
 */
export type FaultlineErrorCode =
  | 'FAULTLINE_CONFIG'
  | 'FAULTLINE_SPOOL_LOCKED'
  | 'FAULTLINE_SPOOL_UNUSABLE'
  | 'FAULTLINE_SCHEDULE'
  | 'FAULTLINE_JOB_TIMEOUT'
  | 'FAULTLINE_KAFKA_TOPICS';

/** The base of every error Faultline throws: a message for people and a `code` for programs. */
export class FaultlineError extends Error {
  readonly code: FaultlineErrorCode;

  constructor(code: FaultlineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaultlineError';
    this.code = code;
  }
}
