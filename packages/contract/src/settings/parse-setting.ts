/** Outcome of parsing one setting: a value, or the expected form to report (in a ConfigProblem). */
export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

// The spellings Sentry's own `envToBool` accepts (@sentry/core), so SENTRY_DEBUG means the same here.
const TRUE = new Set(['1', 'true', 't', 'yes', 'y', 'on']);
const FALSE = new Set(['0', 'false', 'f', 'no', 'n', 'off']);

export function parseBoolean(text: string): Parsed<boolean> {
  const lower = text.trim().toLowerCase();
  if (TRUE.has(lower)) return { ok: true, value: true };
  if (FALSE.has(lower)) return { ok: true, value: false };
  return { ok: false, expected: 'true or false (also t/f, 1/0, yes/no, y/n, on/off)' };
}

/** A probability: a finite number from 0 to 1. */
export function parseRate(value: string | number): Parsed<number> {
  const number = typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value);
  if (Number.isFinite(number) && number >= 0 && number <= 1) return { ok: true, value: number };
  return { ok: false, expected: 'a number from 0 to 1' };
}

/** A whole number of milliseconds within `[min, max]`. */
export function parseMillis(value: string | number, min: number, max: number): Parsed<number> {
  const number = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isInteger(number) && number >= min && number <= max) return { ok: true, value: number };
  return { ok: false, expected: `a whole number of milliseconds from ${min} to ${max}` };
}

/** A whole number within `[min, max]`. */
export function parseCount(value: string | number, min: number, max: number): Parsed<number> {
  const number = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isInteger(number) && number >= min && number <= max) return { ok: true, value: number };
  return { ok: false, expected: `a whole number from ${min} to ${max}` };
}

/** `host:port` pairs, separated by commas. */
export function parseBrokers(value: string | readonly string[]): Parsed<string[]> {
  const list = (typeof value === 'string' ? value.split(',') : value).map((b) => b.trim()).filter(Boolean);
  const valid = (broker: string) => {
    const match = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(broker);
    return match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 65535;
  };
  if (list.length > 0 && list.every(valid)) return { ok: true, value: list };
  return { ok: false, expected: 'host:port pairs separated by commas, e.g. kafka-1:9092,kafka-2:9092' };
}

/**
 * A name Sentry accepts for a release, environment or tag value: no control characters or
 * slashes, at most `max` characters. Sentry rejects or rewrites anything else on ingest.
 */
export function parseName(value: string, max: number, allowSlash: boolean, what: string): Parsed<string> {
  const trimmed = value.trim();
  const forbidden = allowSlash ? /[\s\\]/ : /[\s/\\]/;
  if (
    trimmed.length > 0 &&
    trimmed.length <= max &&
    !forbidden.test(trimmed) &&
    trimmed !== '.' &&
    trimmed !== '..'
  ) {
    return { ok: true, value: trimmed };
  }
  const slashes = allowSlash ? 'backslashes' : 'slashes';
  return { ok: false, expected: `${what}: 1 to ${max} characters without whitespace or ${slashes}` };
}

/** A comma-separated list; blanks between commas are dropped. */
export function parseList(value: string | readonly string[]): string[] {
  return (typeof value === 'string' ? value.split(',') : value).map((s) => s.trim()).filter(Boolean);
}

/** One of `choices`, compared without case. */
export function parseEnum<T extends string>(value: string, choices: readonly T[]): Parsed<T> {
  const lower = value.trim().toLowerCase();
  const found = choices.find((choice) => choice.toLowerCase() === lower);
  if (found !== undefined) return { ok: true, value: found };
  return { ok: false, expected: `one of ${choices.join(', ')}` };
}

/** An absolute URL with one of `schemes` (`http:`, `https:`). */
export function parseUrl(value: string, schemes: readonly string[] = ['http:', 'https:']): Parsed<URL> {
  try {
    const url = new URL(value.trim());
    if (schemes.includes(url.protocol)) return { ok: true, value: url };
  } catch {
    // reported below
  }
  return { ok: false, expected: `an absolute ${schemes.map((s) => s.slice(0, -1)).join(' or ')} URL` };
}
