/** Faultline's own log lines, prefixed `[faultline]`. Callers must never pass a DSN or credential. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** Only when debug is on. */
  debug(message: string): void;
}

/**
 * Faultline's logger: the app's own when given (`options.logger`; its lines are not prefixed,
 * and debug lines reach it only with `debug` on), else the console with a `[faultline]` prefix.
 */
export function createLogger(debug: boolean, custom?: Logger): Logger {
  if (custom) {
    return {
      info: (message) => custom.info(message),
      warn: (message) => custom.warn(message),
      debug: (message) => {
        if (debug) custom.debug(message);
      },
    };
  }
  // console, not a logging library: the host app's console is where its operators look,
  // and Sentry's console integration turns these lines into breadcrumbs.
  return {
    info: (message) => console.info(`[faultline] ${message}`),
    warn: (message) => console.warn(`[faultline] ${message}`),
    debug: (message) => {
      if (debug) console.debug(`[faultline] ${message}`);
    },
  };
}
