import type { Scope, ScopeData } from '@sentry/core';

/** What a scope held when it was copied: enough to tell that it has not changed since. */
interface Copied {
  source: Scope;
  copy: Scope;
  data: ScopeData;
  /** Lengths of what grows in place: breadcrumbs, attachments, event processors, feature flags. */
  lengths: [number, number, number, number];
  /** The last feature flag: its buffer is rotated in place once full. */
  lastFlag: unknown;
  /** The scope's references (its OpenTelemetry context among them). */
  refs: unknown[];
}

/**
 * Copies of a scope, one shared by every call while the scope has not changed: `copyOf(scope)`
 * is `scope.clone()`, or the copy it last made of that scope if nothing was set on it since.
 *
 * Why: a burst's kept events wait with copies of the scopes they were captured in (see
 * `admitErrorsEarly`). A loop over bad records captures them all in the same scopes, unchanged
 * from one error to the next, and a copy each cost 1.6 KB and, for 1,900 waiting events, 25 ms.
 *
 * How a change is seen: most of a scope's setters tell its listeners. The rest (an event
 * processor, an attachment, the trace, SDK metadata, a feature flag, the context a span runs in)
 * replace or grow what `getScopeData()` and `refs` hold, so those are compared too.
 */
export function shareScopeCopies(): { copyOf(scope: Scope): Scope } {
  let last: Copied | undefined;
  const listening = new WeakSet<Scope>();
  const forget = (scope: Scope) => {
    if (last?.source === scope) last = undefined;
  };
  return {
    copyOf(scope) {
      if (last && last.source === scope && unchanged(last, scope)) return last.copy;
      if (!listening.has(scope)) {
        listening.add(scope);
        scope.addScopeListener(forget);
      }
      const copy = scope.clone();
      last = snapshot(scope, copy);
      return copy;
    },
  };
}

function snapshot(source: Scope, copy: Scope): Copied {
  const data = source.getScopeData();
  const flags = flagsOf(data);
  return {
    source,
    copy,
    data,
    lengths: [
      data.breadcrumbs.length,
      data.attachments.length,
      data.eventProcessors.length,
      flags?.length ?? 0,
    ],
    lastFlag: flags?.[flags.length - 1],
    refs: Object.values(refsOf(source)),
  };
}

function unchanged(copied: Copied, scope: Scope): boolean {
  const now = scope.getScopeData();
  const then = copied.data;
  if (
    now.breadcrumbs !== then.breadcrumbs ||
    now.attachments !== then.attachments ||
    now.eventProcessors !== then.eventProcessors ||
    now.contexts !== then.contexts ||
    now.tags !== then.tags ||
    now.attributes !== then.attributes ||
    now.extra !== then.extra ||
    now.user !== then.user ||
    now.level !== then.level ||
    // Unset, it is a new empty array at each read.
    (now.fingerprint !== then.fingerprint && (now.fingerprint.length > 0 || then.fingerprint.length > 0)) ||
    now.propagationContext !== then.propagationContext ||
    now.sdkProcessingMetadata !== then.sdkProcessingMetadata ||
    now.transactionName !== then.transactionName ||
    now.conversationId !== then.conversationId
  ) {
    return false;
  }
  const flags = flagsOf(now);
  const [breadcrumbs, attachments, processors, flagCount] = copied.lengths;
  if (
    now.breadcrumbs.length !== breadcrumbs ||
    now.attachments.length !== attachments ||
    now.eventProcessors.length !== processors ||
    (flags?.length ?? 0) !== flagCount ||
    flags?.[flags.length - 1] !== copied.lastFlag
  ) {
    return false;
  }
  const refs = refsOf(scope);
  let i = 0;
  for (const key in refs) {
    if (refs[key] !== copied.refs[i++]) return false;
  }
  return i === copied.refs.length;
}

function flagsOf(data: ScopeData): unknown[] | undefined {
  const values = (data.contexts.flags as { values?: unknown } | undefined)?.values;
  return Array.isArray(values) ? values : undefined;
}

/** Where Sentry keeps a scope's references (the OpenTelemetry context it was last entered in). */
function refsOf(scope: Scope): Record<string, unknown> {
  const refs = (scope as unknown as { refs?: Record<string, unknown> }).refs;
  return refs && typeof refs === 'object' ? refs : {};
}
