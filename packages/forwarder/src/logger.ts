import { createJsonLinesLogger, type Logger, type LogLevel, logLevelPasses } from '@faultline/contract';

export type { Logger, LogLevel } from '@faultline/contract';
export { isLogLevel } from '@faultline/contract';

export interface LogEntry {
  level: LogLevel;
  msg: string;
  [field: string]: unknown;
}

/**
 * The forwarder's logger behind a level filter: the given one (`options.logger`, the shape every
 * Faultline package takes), else one JSON line per entry on stdout, as log collectors read them.
 */
export function createLogger(level: LogLevel = 'info', custom?: Logger): Logger {
  if (!custom) return createJsonLinesLogger(level);
  const at = (entryLevel: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (logLevelPasses(entryLevel, level)) custom[entryLevel](msg, fields);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
