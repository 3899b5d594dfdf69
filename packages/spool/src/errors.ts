/** A spool that cannot be opened: the directory is unusable or held by another process. */
export class SpoolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpoolError';
  }
}
