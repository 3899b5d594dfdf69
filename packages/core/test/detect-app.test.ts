import { describe, expect, it } from 'vitest';
import { detectApp, detectCommit } from '../src/index.js';

function fakeFiles(files: Record<string, string>) {
  return (path: string) => {
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT ${path}`);
    return text;
  };
}

describe('detectApp', () => {
  it('finds the package.json nearest to the entry script', () => {
    const read = fakeFiles({
      '/srv/app/package.json': JSON.stringify({ name: 'orders', version: '3.1.0' }),
      '/srv/package.json': JSON.stringify({ name: 'monorepo-root', version: '0.0.0' }),
    });
    expect(detectApp('/srv/app/dist/main.js', '/', read)).toEqual({
      name: 'orders',
      version: '3.1.0',
      path: '/srv/app/package.json',
    });
  });

  it('skips package.json files inside node_modules and nameless markers', () => {
    const read = fakeFiles({
      '/srv/app/node_modules/tool/package.json': JSON.stringify({ name: 'tool', version: '9.9.9' }),
      '/srv/app/dist/package.json': JSON.stringify({ type: 'module' }),
      '/srv/app/package.json': JSON.stringify({ name: 'orders', version: '3.1.0' }),
    });
    expect(detectApp('/srv/app/node_modules/tool/bin/cli.js', '/srv/app/dist', read)?.name).toBe('orders');
  });

  it('survives unreadable or invalid files and finds nothing at all', () => {
    const read = fakeFiles({ '/a/package.json': '{not json' });
    expect(detectApp('/a/b/c.js', '/a', read)).toBeUndefined();
  });
});

describe('detectCommit', () => {
  it('takes the first CI variable holding a hash, shortened and lower-cased', () => {
    expect(detectCommit({ CIRCLE_SHA1: 'ABCDEF1234567890ABCD' })).toBe('abcdef123456');
    expect(detectCommit({ GITHUB_SHA: 'notahash', CIRCLE_SHA1: 'abcdef1' })).toBe('abcdef1');
    expect(detectCommit({})).toBeUndefined();
  });
});
