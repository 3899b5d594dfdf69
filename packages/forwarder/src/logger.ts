export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogEntry {
  level: LogLevel;
  msg: string;
  [field: string]: unknown;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function isLogLevel(text: string): text is LogLevel {
  return text in RANK;
}

/** A level filter in front of a sink; the default sink writes one JSON line per entry to stdout. */
export function createLogger(level: LogLevel = 'info', sink?: (entry: LogEntry) => void): Logger {
  const write =
    sink ??
    ((entry: LogEntry) =>
      process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`));
  const at =
    (entryLevel: LogLevel) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      if (RANK[entryLevel] >= RANK[level]) write({ level: entryLevel, msg, ...fields });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
