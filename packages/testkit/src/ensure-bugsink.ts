import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './cache-dir.js';
import { runStep } from './run-step.js';

/** The Bugsink release the suite runs against. */
export const BUGSINK_VERSION = '2.6.2';

/**
 * Installs Bugsink from PyPI into a virtualenv once, and returns the venv's `bin` folder.
 * A marker file is written last, so an interrupted install is redone rather than reused.
 */
export function ensureBugsink(): string {
  const root = cacheDir(`bugsink-${BUGSINK_VERSION}`);
  const venv = join(root, 'venv');
  const marker = join(venv, '.complete');
  if (existsSync(marker)) return join(venv, 'bin');

  const python = process.env.FAULTLINE_PYTHON ?? 'python3';
  const version = runStep(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
    step: 'Checking Python for Bugsink',
  }).trim();
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < 3 || (major === 3 && minor < 10)) {
    throw new Error(`Bugsink ${BUGSINK_VERSION} needs Python 3.10 or newer; '${python}' is ${version}`);
  }
  // The venv records its own absolute path, so it is built where it will live.
  rmSync(venv, { recursive: true, force: true });
  try {
    runStep(python, ['-m', 'venv', venv], { step: 'Creating the Bugsink virtualenv' });
    runStep(
      join(venv, 'bin', 'pip'),
      [
        'install',
        '--disable-pip-version-check',
        '-q',
        '--prefer-binary',
        // symbolic is Rust; building it from source would take far longer than the whole suite.
        '--only-binary=symbolic',
        `bugsink==${BUGSINK_VERSION}`,
      ],
      { step: `Installing bugsink==${BUGSINK_VERSION} from PyPI`, timeoutMs: 900_000 },
    );
  } catch (error) {
    rmSync(venv, { recursive: true, force: true });
    throw error;
  }
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  return join(venv, 'bin');
}
