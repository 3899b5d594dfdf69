/** Severity of a log line, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Where a Faultline package writes its own lines. Every package takes one (`logger` option); the
 * shape is the common subset of the console, winston and most app loggers, so yours usually fits
 * as it is. Faultline never passes a DSN or a credential in `message` or `fields`.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function isLogLevel(text: string): text is LogLevel {
  return Object.hasOwn(RANK, text);
}

/** True when a line at `level` passes a filter set to `threshold`. */
export function logLevelPasses(level: LogLevel, threshold: LogLevel): boolean {
  return RANK[level] >= RANK[threshold];
}

/**
 * The default logger of the libraries: the console, each line prefixed (`[faultline] ...`), lines
 * below `threshold` left out. The console rather than a logging library because the host app's
 * console is where its operators look.
 */
export function createConsoleLogger(prefix: string, threshold: LogLevel = 'info'): Logger {
  const at = (level: LogLevel, write: (line: string) => void) => (message: string) => {
    if (logLevelPasses(level, threshold)) write(`${prefix} ${message}`);
  };
  return {
    debug: at('debug', console.debug),
    info: at('info', console.info),
    warn: at('warn', console.warn),
    error: at('error', console.error),
  };
}

/**
 * One JSON line per entry on stdout (`time`, `level`, `msg` and the entry's fields), as log
 * collectors read them, lines below `threshold` left out: the services' default logger.
 */
export function createJsonLinesLogger(threshold: LogLevel = 'info'): Logger {
  const at =
    (level: LogLevel) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      if (logLevelPasses(level, threshold)) {
        process.stdout.write(
          `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`,
        );
      }
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Prefixes every message, e.g. `kafka transport: ` for lines a package writes into the app's logger. */
export function prefixLogger(logger: Logger, prefix: string): Logger {
  return {
    debug: (message, fields) => logger.debug(prefix + message, fields),
    info: (message, fields) => logger.info(prefix + message, fields),
    warn: (message, fields) => logger.warn(prefix + message, fields),
    error: (message, fields) => logger.error(prefix + message, fields),
  };
}

/** Writes nothing: for tests, and for apps that want Faultline silent. */
export const silentLogger: Logger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});
