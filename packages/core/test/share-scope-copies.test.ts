import { Scope } from '@sentry/core';
import { describe, expect, it } from 'vitest';
import { shareScopeCopies } from '../src/share-scope-copies.js';

// Sentry's own Scope: what changes a scope, and which changes tell its listeners, is the SDK's.
describe('shareScopeCopies', () => {
  it('gives one copy while the scope does not change, and the copy is the scope as it was', () => {
    const { copyOf } = shareScopeCopies();
    const scope = new Scope();
    scope.setTag('phase', 'import');
    const first = copyOf(scope);
    expect(first).not.toBe(scope);
    expect(copyOf(scope)).toBe(first);
    expect(copyOf(scope)).toBe(first);
    scope.setTag('phase', 'export');
    const second = copyOf(scope);
    expect(second).not.toBe(first);
    expect(first.getScopeData().tags).toEqual({ phase: 'import' });
    expect(second.getScopeData().tags).toEqual({ phase: 'export' });
  });

  // Each change below, made between two copies, must give the second its own copy.
  const changes: [string, (scope: Scope) => void][] = [
    // Setters that tell the scope's listeners (some change in place: contexts, breadcrumbs).
    ['setContext (in place)', (s) => s.setContext('job', { id: 'b' })],
    ['addBreadcrumb', (s) => s.addBreadcrumb({ message: 'next record' })],
    ['setUser', (s) => s.setUser({ id: '42' })],
    ['setLevel', (s) => s.setLevel('warning')],
    ['setFingerprint', (s) => s.setFingerprint(['import'])],
    ['setExtra', (s) => s.setExtra('row', 7)],
    ['setTransactionName', (s) => s.setTransactionName('GET /import')],
    // Setters that tell nobody: seen by what they replace or grow.
    ['addEventProcessor', (s) => s.addEventProcessor((event) => event)],
    ['addAttachment', (s) => s.addAttachment({ filename: 'row.json', data: '{}' })],
    ['clearAttachments', (s) => s.clearAttachments()],
    ['setPropagationContext', (s) => s.setPropagationContext({ traceId: 'b'.repeat(32), sampleRand: 0.5 })],
    ['setSDKProcessingMetadata', (s) => s.setSDKProcessingMetadata({ normalizedRequest: { url: '/b' } })],
    [
      'a feature flag added in place (as the flags integrations do)',
      (s) =>
        (s.getScopeData().contexts.flags as { values: unknown[] }).values.push({ flag: 'b', result: true }),
    ],
    [
      'a full flag buffer rotated in place',
      (s) => {
        const values = (s.getScopeData().contexts.flags as { values: unknown[] }).values;
        values.shift();
        values.push({ flag: 'c', result: false });
      },
    ],
    [
      'the context it is entered in (Sentry keeps it in refs)',
      (s) => {
        (s as unknown as { refs: Record<string, unknown> }).refs.context = { span: 'another' };
      },
    ],
  ];
  for (const [what, change] of changes) {
    it(`makes a new copy after ${what}`, () => {
      const { copyOf } = shareScopeCopies();
      const scope = new Scope();
      scope.setContext('job', { id: 'a' });
      scope.addAttachment({ filename: 'a.json', data: '{}' });
      scope.setContext('flags', { values: [{ flag: 'a', result: true }] });
      (scope as unknown as { refs: Record<string, unknown> }).refs.context = { span: 'one' };
      const before = copyOf(scope);
      expect(copyOf(scope)).toBe(before); // unchanged so far: shared
      const data = JSON.stringify(before.getScopeData());
      change(scope);
      const after = copyOf(scope);
      expect(after).not.toBe(before);
      expect(JSON.stringify(before.getScopeData())).toBe(data); // the first copy kept its state
    });
  }

  it('makes a new copy of another scope, and of the first again after it', () => {
    const { copyOf } = shareScopeCopies();
    const one = new Scope();
    const two = new Scope();
    const copy = copyOf(one);
    expect(copyOf(two)).not.toBe(copy);
    expect(copyOf(one)).not.toBe(copy); // only the last scope's copy is kept
  });

  it('listens to a scope once, however often it is copied', () => {
    const { copyOf } = shareScopeCopies();
    const scope = new Scope();
    for (let i = 0; i < 100; i++) {
      scope.setTag('i', String(i));
      copyOf(scope);
    }
    expect((scope as unknown as { _scopeListeners: unknown[] })._scopeListeners).toHaveLength(1);
  });
});
