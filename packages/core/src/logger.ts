import { createConsoleLogger, type Logger } from '@faultline/contract';

export type { Logger } from '@faultline/contract';

/**
 * Faultline's logger: the app's own when given (`options.logger`; its lines are not prefixed,
 * and debug lines reach it only with `debug` on), else the console with a `[faultline]` prefix.
 */
export function createLogger(debug: boolean, custom?: Logger): Logger {
  if (!custom) return createConsoleLogger('[faultline]', debug ? 'debug' : 'info');
  return {
    info: (message, fields) => custom.info(message, fields),
    warn: (message, fields) => custom.warn(message, fields),
    error: (message, fields) => custom.error(message, fields),
    debug: (message, fields) => {
      if (debug) custom.debug(message, fields);
    },
  };
}
