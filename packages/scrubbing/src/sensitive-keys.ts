/**
 * Key names whose values are secrets, after Relay's `@password` rule (`PASSWORD_KEY_REGEX` and
 * `TOKEN_KEY_REGEX` in relay-pii/src/regexes.rs) and its list of sensitive cookies
 * (`SENSITIVE_COOKIES` in relay-pii/src/convert.rs). Relay matches substrings; Faultline
 * matches words (split at separators and camelCase), so `access_token`, `authToken` and
 * `x-api-key` match while `tokens_used`, `input_tokens` and `author` do not: token counts and
 * authors are telemetry, not secrets.
 */
const WORDS = new Set([
  'password',
  'passwd',
  'passphrase',
  'secret',
  'credential',
  'credentials',
  'auth',
  'authorization',
  'token',
  'bearer',
  'cookie',
  'cookies',
  'session',
  'otp',
  'csrf',
  'xsrf',
  'jwt',
]);

/** Two words in a row that together name a secret (`api_key`, `privateKey`, `two-factor`...). */
const PAIRS = new Set(['api key', 'private key', 'access key', 'secret key', 'two factor', 'mysql pwd']);

/** Whole keys, separators removed (`apikey`, `sessionid`, and Relay's session cookie names). */
const WHOLE = new Set([
  'apikey',
  'privatekey',
  'mysqlpwd',
  'sessionid',
  'twofactor',
  'sentrysid',
  'sudo',
  'su',
  'phpsessid',
  'fasthttpsessionid',
  'irissessionid',
  'mysession',
  'symfony',
  'fastcsrf',
  'connectsid',
]);

export interface KeyMatcher {
  /** Whether the value under this key is a secret. */
  isSensitive(key: string): boolean;
  /** Whether this key is on the safe list: its value is never scrubbed, nor anything in it. */
  isSafe(key: string): boolean;
}

/** Words of a key: `X-Api-Key` → x, api, key; `authToken` → auth, token. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * A matcher for sensitive and safe keys. `extraKeys` are matched as words or whole keys,
 * case-insensitively; `safeFields` as whole keys. Answers are cached (keys repeat).
 */
export function createKeyMatcher(
  extraKeys: readonly string[] = [],
  safeFields: readonly string[] = [],
): KeyMatcher {
  const extra = new Set(extraKeys.map((k) => k.toLowerCase()));
  const extraWords = new Set(extraKeys.flatMap((k) => (keyWords(k).length === 1 ? keyWords(k) : [])));
  const safe = new Set(safeFields.map((k) => k.toLowerCase()));
  const cache = new Map<string, boolean>();

  function decide(key: string): boolean {
    const lower = key.toLowerCase();
    if (extra.has(lower)) return true;
    const words = keyWords(key);
    for (let i = 0; i < words.length; i++) {
      const word = words[i] as string;
      if (WORDS.has(word) || extraWords.has(word)) return true;
      if (i > 0 && PAIRS.has(`${words[i - 1]} ${word}`)) return true;
    }
    return WHOLE.has(words.join(''));
  }

  return {
    isSensitive(key) {
      let answer = cache.get(key);
      if (answer === undefined) {
        answer = decide(key);
        // Keys are few and repeat; the bound only guards against keys made of data.
        if (cache.size < 10_000) cache.set(key, answer);
      }
      return answer;
    },
    isSafe: (key) => safe.size > 0 && safe.has(key.toLowerCase()),
  };
}
