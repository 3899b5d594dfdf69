import { ConfigError } from '@faultline/contract';
import { detectApp } from './detect-app.js';
import { resolveConfig } from './resolve-config.js';

const HELP = `faultline: what Faultline will report, worked out as the service will

Usage:
  faultline release        print the release name (SENTRY_RELEASE, else <service>@<version>[+<commit>]
                           from the package.json in this directory and the CI's commit variable)
  faultline environment    print the environment name
  faultline service        print the service name
`;

/**
 * Prints one resolved setting, from the same resolver `initObservability()` uses, so CI (say,
 * `sentry-cli releases new "$(faultline release)"`) and the running service cannot disagree.
 * Returns the exit code: 0, 1 when there is nothing to print, 2 for bad usage or configuration.
 */
export function main(
  argv: string[],
  env: Record<string, string | undefined>,
  cwd: string = process.cwd(),
): number {
  const [command] = argv;
  if (command !== 'release' && command !== 'environment' && command !== 'service') {
    (command === '-h' || command === '--help' ? process.stdout : process.stderr).write(HELP);
    return command === '-h' || command === '--help' ? 0 : 2;
  }
  let config: ReturnType<typeof resolveConfig>;
  try {
    // The service is the package in the working directory (this script is not its entry).
    config = resolveConfig({}, { env, app: detectApp('', cwd) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`faultline: ${error.message}\n`);
    return 2;
  }
  const value = config[command];
  if (!value) {
    process.stderr.write(
      `faultline: no ${command}: set SENTRY_RELEASE, or run where the service's package.json has a name and version\n`,
    );
    return 1;
  }
  process.stdout.write(`${value}\n`);
  return 0;
}
