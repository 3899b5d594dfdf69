import { passesLuhn } from './luhn.js';

/** A change a rule made in a string: Sentry's `_meta` remark `[rule id, 's', start, end]`. */
export type Remark = [ruleId: string, type: 's', start: number, end: number];

/** A rule that finds secrets inside any string. */
export interface StringRule {
  /** The name `FAULTLINE_SCRUB` uses. */
  name: StringRuleName;
  /** The rule id in `_meta` remarks, as Relay names its rules. */
  id: string;
  /** A cheap test: false means the rule cannot match (most strings skip every regex). */
  mayMatch(text: string): boolean;
  /** A regex source that every match contains, for one combined test of all rules at once. */
  hint: string;
  /** The replacement for one match, or undefined to leave the match alone. */
  replace(match: RegExpExecArray, isSensitiveKey: (key: string) => boolean): string | undefined;
  pattern: RegExp;
}

export type StringRuleName = 'creditcard' | 'bearer' | 'urlauth' | 'pemkey' | 'keys' | 'email' | 'ip';

export const FILTERED = '[Filtered]';

/**
 * Relay's `CREDITCARD_REGEX` (relay-pii/src/regexes.rs): vendor prefixes (Amex, Visa,
 * Mastercard, Discover) and 15 or 16 digits with optional dashes or spaces, so that ids and
 * timestamps of the same length are left alone; Faultline adds the Luhn check.
 */
const creditcard: StringRule = {
  name: 'creditcard',
  id: '@creditcard:filter',
  pattern: /\b((?:3[47]\d|4\d{3}|5[1-5]\d\d|65\d\d|6011)(?:[-\s]?\d){12})\b/g,
  mayMatch: (text) => /\d{4}/.test(text),
  hint: '\\d{4}',
  replace: (match) => (passesLuhn((match[1] as string).replace(/\D/g, '')) ? FILTERED : undefined),
};

/** Relay's `BEARER_TOKEN_REGEX`, and HTTP Basic credentials too; the scheme word stays. */
const bearer: StringRule = {
  name: 'bearer',
  id: '@bearer:filter',
  pattern: /\b(Bearer|Basic)(\s+)([^\s"',;]+)/gi,
  mayMatch: (text) => /bearer|basic/i.test(text),
  hint: '[Bb](?:earer|asic)|BEARER|BASIC',
  replace: (match) => `${match[1]}${match[2]}${FILTERED}`,
};

/** Relay's `URL_AUTH_REGEX`, narrowed to the password: `postgres://app:[Filtered]@db`. */
const urlauth: StringRule = {
  name: 'urlauth',
  id: '@urlauth:filter',
  pattern: /\b((?:[a-z][a-z0-9+.-]*:)?\/\/)([^\s:@/]+):([^\s@/]+)@/gi,
  mayMatch: (text) => text.includes('//') && text.includes('@'),
  hint: '//',
  replace: (match) => `${match[1]}${match[2]}:${FILTERED}@`,
};

/** Relay's `PEM_KEY_REGEX`, private keys only: the body between the armour lines. */
const pemkey: StringRule = {
  name: 'pemkey',
  id: '@pemkey:filter',
  // The body stops at the next armour line, so each BEGIN scans only up to the next one: with
  // thousands of BEGIN lines and no END the rule stays linear (`[\s\S]+?` scanned to the end
  // of the string from every BEGIN).
  pattern:
    /(-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----)((?:(?!-----(?:BEGIN|END) )[\s\S])+?)(-----END [A-Z ]{0,40}PRIVATE KEY-----)/g,
  mayMatch: (text) => text.includes('-----BEGIN'),
  hint: '-----BEGIN',
  replace: (match) => `${match[1]}${FILTERED}${match[3]}`,
};

/**
 * Sensitive keys inside strings: `token=…` in a URL, query string or form body, and `"password":
 * "…"` in a JSON body kept as text. Sentry's server-side scrubbing does the same to query strings
 * and bodies (relay-pii's `querystring_as_string` and `sanitize_http_body` cases).
 */
const keys: StringRule = {
  name: 'keys',
  id: '@password:filter',
  pattern: /([?&;\s]|^)([\w.[\]-]{1,64})=([^&#\s;]*)|"([^"\\]{1,64})"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g,
  mayMatch: (text) => text.includes('=') || text.includes('":'),
  hint: '=|":',
  replace: (match, isSensitiveKey) => {
    if (match[2] !== undefined) {
      return isSensitiveKey(match[2]) && match[3] !== '' ? `${match[1]}${match[2]}=${FILTERED}` : undefined;
    }
    return isSensitiveKey(match[4] as string) ? `"${match[4]}"${match[5]}"${FILTERED}"` : undefined;
  },
};

/** Relay's `EMAIL_REGEX`, bounded, and its `@email:replace` text. Opt-in. */
const email: StringRule = {
  name: 'email',
  id: '@email:replace',
  // Bounded as addresses are (a local part of at most 64 characters, labels of at most 63): from
  // each of the many word boundaries of `a.a.a.…@`, an unbounded `+` scanned to the end.
  pattern:
    /\b[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-zA-Z0-9-]{1,63}(?:\.[a-zA-Z0-9-]{1,63}){0,8}\.[a-zA-Z]{2,63}\b/g,
  mayMatch: (text) => text.includes('@'),
  hint: '@',
  replace: () => '[email]',
};

/**
 * Relay's `IPV4_REGEX`, and full or `::`-compressed IPv6 addresses, with its `@ip:replace`
 * text. Opt-in.
 */
const ip: StringRule = {
  name: 'ip',
  id: '@ip:replace',
  pattern:
    /\b(?:(?:25[0-5]|2[0-4]\d|[01]?\d\d?)\.){3}(?:25[0-5]|2[0-4]\d|[01]?\d\d?)\b|\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|\b(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,5})?\b/gi,
  mayMatch: (text) => text.includes('.') || text.includes(':'),
  hint: '[.:]',
  replace: () => '[ip]',
};

export const STRING_RULES: Record<StringRuleName, StringRule> = {
  keys,
  creditcard,
  bearer,
  urlauth,
  pemkey,
  email,
  ip,
};

/** On unless turned off. */
export const DEFAULT_RULES: readonly StringRuleName[] = ['keys', 'creditcard', 'bearer', 'urlauth', 'pemkey'];
/** Off unless turned on. */
export const OPT_IN_RULES: readonly StringRuleName[] = ['email', 'ip'];

/**
 * Runs the rules over one string: the same string when nothing matched (and no remarks), else
 * the new text with a remark per replacement, positioned in it.
 */
export function scrubString(
  text: string,
  rules: readonly StringRule[],
  isSensitiveKey: (key: string) => boolean,
  prefilter?: RegExp,
): { text: string; remarks: Remark[] | undefined } {
  // One scan decides for most strings (names, messages, code lines) that no rule can match.
  if (prefilter && !prefilter.test(text)) return { text, remarks: undefined };
  let out = text;
  let remarks: Remark[] | undefined;
  for (const rule of rules) {
    if (!rule.mayMatch(out)) continue;
    rule.pattern.lastIndex = 0;
    let result = '';
    let last = 0;
    let changed = false;
    for (let match = rule.pattern.exec(out); match; match = rule.pattern.exec(out)) {
      if (match[0] === '') {
        rule.pattern.lastIndex++;
        continue;
      }
      const replacement = rule.replace(match, isSensitiveKey);
      if (replacement === undefined) continue;
      result += out.slice(last, match.index);
      remarks ??= [];
      remarks.push([rule.id, 's', result.length, result.length + replacement.length]);
      result += replacement;
      last = match.index + match[0].length;
      changed = true;
    }
    if (changed) out = result + out.slice(last);
  }
  return { text: out, remarks };
}

/** One regex that any match of any of the rules contains (see `StringRule.hint`). */
export function combinedHint(rules: readonly StringRule[]): RegExp | undefined {
  return rules.length === 0 ? undefined : new RegExp(rules.map((rule) => rule.hint).join('|'));
}
