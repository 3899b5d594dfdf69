import { type Parsed, parseList } from '@faultline/contract';
import { DEFAULT_RULES, OPT_IN_RULES, type StringRuleName } from './string-rules.js';

const ALL: readonly StringRuleName[] = [...DEFAULT_RULES, ...OPT_IN_RULES];

/** The rules, or the expected form: the contract's `Parsed`, as every Faultline setting. */
export type ParsedRules = Parsed<StringRuleName[]>;

/**
 * `FAULTLINE_SCRUB`: `off`, or rule names separated by commas, each added (`email`, `+ip`) to
 * or taken away (`-creditcard`) from the default rules. `default` alone is the defaults.
 * e.g. `email,ip` (defaults plus the opt-in rules), `-pemkey`, `off`.
 */
export function parseScrubSetting(text: string): ParsedRules {
  const expected = `off, or rule names separated by commas, each optionally prefixed with + or -: ${ALL.join(', ')}`;
  const tokens = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (tokens.length === 1 && tokens[0]?.toLowerCase() === 'off') return { ok: true, value: [] };
  const rules = new Set<StringRuleName>(DEFAULT_RULES);
  for (const token of tokens) {
    const lower = token.toLowerCase();
    if (lower === 'default') continue;
    const remove = lower.startsWith('-');
    const name = lower.replace(/^[+-]/, '') as StringRuleName;
    if (!ALL.includes(name)) return { ok: false, expected };
    if (remove) rules.delete(name);
    else rules.add(name);
  }
  return { ok: true, value: [...rules] };
}

/** A comma-separated list of key names (`FAULTLINE_SCRUB_KEYS`, `FAULTLINE_SCRUB_SAFE_FIELDS`). */
export function parseKeyList(text: string): Parsed<string[]> {
  const keys = parseList(text);
  if (keys.some((k) => k.length > 128 || /\s/.test(k))) {
    return { ok: false, expected: 'key names without spaces, at most 128 characters, separated by commas' };
  }
  return { ok: true, value: keys };
}
