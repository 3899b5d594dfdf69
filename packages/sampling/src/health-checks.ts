import { compileGlob } from './glob.js';

/**
 * Sentry's health-check globs (`HEALTH_CHECK_GLOBS` in its dynamic sampling), matched against
 * the route or the span name.
 */
export const DEFAULT_HEALTH_CHECK_GLOBS = [
  '*healthcheck*',
  '*heartbeat*',
  '*/health',
  '*/healthy',
  '*/healthz',
  '*/live',
  '*/livez',
  '*/ready',
  '*/readyz',
  '*/ping',
] as const;

/** Sentry divides the rate of health-check traces by 3. */
export const HEALTH_CHECK_FACTOR = 3;

export function compileHealthChecks(globs: readonly string[]): (text: string) => boolean {
  const tests = globs.map(compileGlob);
  return (text) => {
    for (const test of tests) if (test(text)) return true;
    return false;
  };
}
