import type { StringRuleName } from './string-rules.js';

export interface ScrubOptions {
  /**
   * Rules that run. Default rules: `keys` (values under sensitive key names), `creditcard`,
   * `bearer`, `urlauth`, `pemkey`; opt-in: `email`, `ip`. Env: `FAULTLINE_SCRUB`.
   * @default ['keys', 'creditcard', 'bearer', 'urlauth', 'pemkey']
   */
  rules?: readonly StringRuleName[];
  /** More key names whose values are secrets (matched as words or whole keys). Env: `FAULTLINE_SCRUB_KEYS`. @default [] */
  extraKeys?: readonly string[];
  /** Key names never scrubbed, with everything under them. Env: `FAULTLINE_SCRUB_SAFE_FIELDS`. @default [] */
  safeFields?: readonly string[];
}
