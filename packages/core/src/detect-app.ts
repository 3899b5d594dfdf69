import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The running app's own name and version, from its package.json. */
export interface AppInfo {
  name: string | undefined;
  version: string | undefined;
  /** The package.json it came from. */
  path: string;
}

/**
 * Finds the app's package.json: the nearest one above the entry script (`process.argv[1]`),
 * else above the working directory. Packages inside node_modules are skipped, since an entry
 * script there (a CLI) is not the app. Undefined when none is found or none can be read.
 */
export function detectApp(
  entry: string | undefined = process.argv[1],
  cwd: string = process.cwd(),
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): AppInfo | undefined {
  for (const start of [entry ? dirname(resolve(entry)) : undefined, cwd]) {
    if (!start) continue;
    const found = nearestPackageJson(start, readFile);
    if (found) return found;
  }
  return undefined;
}

function nearestPackageJson(start: string, readFile: (path: string) => string): AppInfo | undefined {
  let dir = start;
  for (;;) {
    if (!dir.split(/[\\/]/).includes('node_modules')) {
      const path = join(dir, 'package.json');
      try {
        const json = JSON.parse(readFile(path)) as { name?: unknown; version?: unknown };
        const name = typeof json.name === 'string' && json.name ? json.name : undefined;
        const version = typeof json.version === 'string' && json.version ? json.version : undefined;
        // A package.json with neither (a "type": "module" marker in a subfolder) names no app.
        if (name || version) return { name, version, path };
      } catch {
        // Missing or unreadable: keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
