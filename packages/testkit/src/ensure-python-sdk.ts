import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './cache-dir.js';
import { runStep } from './run-step.js';

/** The release of Sentry's Python SDK the intake's tests send with. */
export const PYTHON_SDK_VERSION = '2.76.0';

/**
 * Installs Sentry's Python SDK (`sentry-sdk` from PyPI) into a virtualenv of its own once, and
 * returns the venv's `python`: a real client of the ingest protocol, written by Sentry, for
 * tests of what speaks that protocol. A marker file is written last, so an interrupted install
 * is redone rather than reused.
 */
export function ensurePythonSdk(): string {
  const venv = join(cacheDir(`python-sentry-sdk-${PYTHON_SDK_VERSION}`), 'venv');
  const python = join(venv, 'bin', 'python');
  if (existsSync(join(venv, '.complete'))) return python;
  rmSync(venv, { recursive: true, force: true });
  try {
    runStep(process.env.FAULTLINE_PYTHON ?? 'python3', ['-m', 'venv', venv], {
      step: 'Creating the sentry-sdk virtualenv',
    });
    runStep(
      join(venv, 'bin', 'pip'),
      ['install', '--disable-pip-version-check', '-q', `sentry-sdk==${PYTHON_SDK_VERSION}`],
      { step: `Installing sentry-sdk==${PYTHON_SDK_VERSION} from PyPI`, timeoutMs: 300_000 },
    );
  } catch (error) {
    rmSync(venv, { recursive: true, force: true });
    throw error;
  }
  writeFileSync(join(venv, '.complete'), `${new Date().toISOString()}\n`);
  return python;
}
