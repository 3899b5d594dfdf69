/**
 * Why a spool could not be opened: `SPOOL_IN_USE` when another live process holds the directory,
 * `SPOOL_UNUSABLE` for everything else (not ours, not a directory, unwritable, unreadable).
 */
export type SpoolErrorCode = 'SPOOL_IN_USE' | 'SPOOL_UNUSABLE';

/** A spool that cannot be opened: the directory is unusable or held by another process. */
export class SpoolError extends Error {
  readonly code: SpoolErrorCode;

  constructor(message: string, options?: { cause?: unknown; code?: SpoolErrorCode }) {
    super(message, options);
    this.name = 'SpoolError';
    this.code = options?.code ?? 'SPOOL_UNUSABLE';
  }
}
