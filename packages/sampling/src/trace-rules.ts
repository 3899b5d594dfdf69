/** What a rule matches against. */
export type TraceRuleKind = 'route' | 'op' | 'topic' | 'method' | 'name' | 'any';

export interface TraceRule {
  kind: TraceRuleKind;
  /** The glob, as written (`/checkout*`); `*` for `any`. */
  pattern: string;
  /** Sample rate, 0 to 1. */
  rate: number;
  /** `!` prefix: applies even to continued traces, overriding the parent's decision. */
  force: boolean;
  /** The rule as written, for messages. */
  text: string;
}

const KINDS: Record<string, TraceRuleKind> = {
  route: 'route',
  op: 'op',
  topic: 'topic',
  method: 'method',
  name: 'name',
};

/**
 * Parses `FAULTLINE_TRACES_RULES`: rules separated by `;`, each `[!]<kind>:<glob>=<rate>` or
 * `*=<rate>`, e.g. `route:/checkout*=0.5; route:/health*=0; topic:orders=0.2; *=0.1`.
 * Kinds: `route` (url.path, http.route), `op` (sentry.op), `topic` (messaging.destination.name),
 * `method` (http.request.method), `name` (the span name at start). First match wins.
 * Throws an Error quoting the bad rule and saying what is wrong.
 */
export function parseTraceRules(text: string): TraceRule[] {
  return text
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .map(parseRule);
}

function parseRule(text: string): TraceRule {
  const fail = (why: string): never => {
    throw new Error(`rule "${text}": ${why}`);
  };
  const eq = text.lastIndexOf('=');
  if (eq < 0) fail('expected <kind>:<pattern>=<rate>, e.g. route:/checkout*=0.5');
  const rateText = text.slice(eq + 1).trim();
  const rate = rateText === '' ? Number.NaN : Number(rateText);
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) fail(`rate "${rateText}" is not a number from 0 to 1`);
  let left = text.slice(0, eq).trim();
  const force = left.startsWith('!');
  if (force) left = left.slice(1).trim();
  if (left === '*') return { kind: 'any', pattern: '*', rate, force, text };
  const colon = left.indexOf(':');
  if (colon < 0) fail('expected <kind>:<pattern> before "=", or "*"');
  const kindText = left.slice(0, colon).trim().toLowerCase();
  const kind = KINDS[kindText];
  if (!kind) fail(`unknown kind "${kindText}"; expected one of ${Object.keys(KINDS).join(', ')}`);
  const pattern = left.slice(colon + 1).trim();
  if (!pattern) fail('the pattern is empty');
  return { kind: kind as TraceRuleKind, pattern, rate, force, text };
}

/** The span facts rules look at, read from the sampling context's attributes. */
export interface SpanFacts {
  route: string | undefined;
  op: string | undefined;
  topic: string | undefined;
  method: string | undefined;
  name: string;
}
