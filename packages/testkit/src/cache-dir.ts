import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Where downloaded service binaries live between runs (Kafka jars, the Bugsink venv):
 * `FAULTLINE_CACHE_DIR`, else `.cache/` at the repository root, which git ignores.
 */
export function cacheDir(...parts: string[]): string {
  const dir = join(process.env.FAULTLINE_CACHE_DIR ?? join(REPO_ROOT, '.cache'), ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The test kit's own folder, for the files it ships (pom.xml, Python helpers). */
export const TESTKIT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
