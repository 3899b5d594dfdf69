import { compileGlob } from './glob.js';
import type { SpanFacts, TraceRule, TraceRuleKind } from './trace-rules.js';

/** At most this many distinct values are remembered per kind; then the memory starts over. */
const CACHE_LIMIT = 2000;

interface KindIndex {
  read: (facts: SpanFacts) => string | undefined;
  /** Indices into the rule list, ascending, with their compiled globs. */
  indices: number[];
  tests: ((text: string) => boolean)[];
  /** Value seen -> index of the first rule of this kind it matches, or -1. */
  cache: Map<string, number>;
}

const READERS: Record<Exclude<TraceRuleKind, 'any'>, (facts: SpanFacts) => string | undefined> = {
  // A route rule falls back to the span name when no path is known yet.
  route: (f) => f.route ?? f.name,
  op: (f) => f.op,
  topic: (f) => f.topic,
  method: (f) => f.method,
  name: (f) => f.name,
};

/**
 * Finds the first rule that matches a span. Rules are grouped by kind and each kind remembers
 * which rule the values it has seen matched, so a decision costs one map lookup per kind in use
 * instead of a glob test per rule. Returns -1 when no rule matches.
 */
export function createRuleIndex(rules: readonly TraceRule[]): (facts: SpanFacts) => number {
  const anyIndex = rules.findIndex((rule) => rule.kind === 'any');
  const kinds: KindIndex[] = [];
  for (const kind of Object.keys(READERS) as (keyof typeof READERS)[]) {
    const indices = rules.flatMap((rule, i) =>
      rule.kind === kind && (anyIndex < 0 || i < anyIndex) ? [i] : [],
    );
    if (indices.length === 0) continue;
    kinds.push({
      read: READERS[kind],
      indices,
      tests: indices.map((i) => compileGlob(rules[i]?.pattern ?? '')),
      cache: new Map(),
    });
  }

  return (facts) => {
    let best = anyIndex < 0 ? Number.POSITIVE_INFINITY : anyIndex;
    for (const kind of kinds) {
      const value = kind.read(facts);
      if (value === undefined) continue;
      let found = kind.cache.get(value);
      if (found === undefined) {
        found = -1;
        for (let k = 0; k < kind.indices.length; k++) {
          if (kind.tests[k]?.(value)) {
            found = kind.indices[k] ?? -1;
            break;
          }
        }
        if (kind.cache.size >= CACHE_LIMIT) kind.cache.clear();
        kind.cache.set(value, found);
      }
      if (found >= 0 && found < best) best = found;
    }
    return best === Number.POSITIVE_INFINITY ? -1 : best;
  };
}
