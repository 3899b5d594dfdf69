/** Faultline's own log lines, prefixed `[faultline]`. Callers must never pass a DSN or credential. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** Only when debug is on. */
  debug(message: string): void;
}

export function createLogger(debug: boolean): Logger {
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
