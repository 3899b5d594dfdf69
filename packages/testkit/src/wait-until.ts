export interface WaitUntilOptions {
  /** What is awaited, for the error message. */
  what: string;
  /** Give up after this long. Default: 30 000 ms. */
  timeoutMs?: number;
  /** Pause between attempts. Default: 250 ms. */
  intervalMs?: number;
  /** Called when the wait fails, to add context (a log tail) to the error. */
  describeFailure?: () => string;
}

/**
 * Polls `probe` until it returns a value other than `undefined`/`false`, or throws once the
 * bound is reached: every wait in the test kit has one, so a broken service fails instead of hanging.
 * A probe that throws counts as "not yet"; its last error is reported.
 */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitUntilOptions,
): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 250 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  const context = options.describeFailure ? `\n${options.describeFailure()}` : '';
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${options.what}${cause}${context}`);
}
