import { FaultlineError } from '@faultline/contract';

/**
 * Why a spool could not be opened: `FAULTLINE_SPOOL_LOCKED` when another live process holds the
 * directory, `FAULTLINE_SPOOL_UNUSABLE` for everything else (not ours, not a directory,
 * unwritable, unreadable).
 */
export type SpoolErrorCode = 'FAULTLINE_SPOOL_LOCKED' | 'FAULTLINE_SPOOL_UNUSABLE';

/** A spool that cannot be opened: the directory is unusable or held by another process. */
export class SpoolError extends FaultlineError {
  declare readonly code: SpoolErrorCode;

  constructor(message: string, options?: { cause?: unknown; code?: SpoolErrorCode }) {
    super(options?.code ?? 'FAULTLINE_SPOOL_UNUSABLE', message, options);
    this.name = 'SpoolError';
  }
}
