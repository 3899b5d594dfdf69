import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Sentry keys its global state (scopes, client, async context) by SDK version, and @sentry/node
// pins an exact @sentry/core. A library package that takes such a function from the @sentry/core
// it resolves reads empty state whenever that copy is another version than @sentry/node's (a
// newer @sentry/core hoisted by some other dependency). Pure helpers (parsers, serializers) are
// fine from any copy; state goes through @sentry/node. The packed-install test shows the failure
// this prevents; this one names the line that would bring it back.
const STATE_FUNCTIONS = new Set([
  'getClient',
  'getCurrentScope',
  'getIsolationScope',
  'getGlobalScope',
  'getCombinedScopeData',
  'withScope',
  'withIsolationScope',
  'startSpan',
  'startSpanManual',
  'startInactiveSpan',
  'getActiveSpan',
  'continueTrace',
  'startNewTrace',
  'suppressTracing',
  'isTracingSuppressed',
  'captureException',
  'captureMessage',
  'captureEvent',
  'captureCheckIn',
  'addBreadcrumb',
  'setTag',
  'setTags',
  'setContext',
  'setUser',
  'setExtra',
  'getTraceData',
  'flush',
  'close',
]);

// Reviewed uses, each with why it is safe.
const ALLOWED: Record<string, string[]> = {
  // Only the default of the `scopes` option, for callers without @sentry/node; core passes @sentry/node's.
  'kafka-transport/src/salvage-pending-events.ts': ['getCurrentScope', 'getGlobalScope', 'getIsolationScope'],
  // Used only when SDK_VERSION equals @sentry/node's (SHARES_SDK_STATE).
  'kafkajs/src/presample.ts': ['isTracingSuppressed'],
};

const LIBRARIES = [
  'contract',
  'core',
  'kafka-transport',
  'kafkajs',
  'sampling',
  'scheduler',
  'scrubbing',
  'spool',
];
const packages = fileURLToPath(new URL('../..', import.meta.url));

function sentryCoreValueImports(source: string): string[] {
  const names: string[] = [];
  for (const match of source.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'@sentry\/core'/g)) {
    if (match[1]) continue; // `import type { ... }`
    for (const part of (match[2] ?? '').split(',')) {
      const name = part.trim();
      if (!name || name.startsWith('type ')) continue;
      names.push(name.split(/\s+as\s+/)[0] as string);
    }
  }
  if (/import\s+\*\s+as\s+\w+\s+from\s+'@sentry\/core'/.test(source)) names.push('*');
  return names;
}

describe('state-reading Sentry functions come from @sentry/node', () => {
  it('no library source imports them from @sentry/core, beyond the reviewed uses', () => {
    const found: string[] = [];
    for (const name of LIBRARIES) {
      const dir = join(packages, name, 'src');
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
        const key = `${name}/src/${file}`;
        for (const imported of sentryCoreValueImports(readFileSync(join(dir, file), 'utf8'))) {
          if (imported === '*' || (STATE_FUNCTIONS.has(imported) && !ALLOWED[key]?.includes(imported))) {
            found.push(`${key}: ${imported}`);
          }
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('recognises such an import (the check can fail)', () => {
    expect(
      sentryCoreValueImports("import {\n  getCurrentScope,\n  type Scope,\n} from '@sentry/core';"),
    ).toEqual(['getCurrentScope']);
    expect(sentryCoreValueImports("import type { Scope } from '@sentry/core';")).toEqual([]);
  });
});
