import { readFileSync } from 'node:fs';

/** The last `lines` lines of a text, for error messages. */
export function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The last `lines` lines of a log file, or a note that it cannot be read. */
export function tailFile(path: string, lines = 40): string {
  try {
    return `--- ${path} (last ${lines} lines) ---\n${tail(readFileSync(path, 'utf8'), lines)}`;
  } catch (error) {
    return `--- ${path}: unreadable (${(error as Error).message}) ---`;
  }
}
