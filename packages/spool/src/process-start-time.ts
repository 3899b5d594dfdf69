import { readFileSync } from 'node:fs';

/**
 * When a process started, as the OS tells it: on Linux the `starttime` field of
 * `/proc/<pid>/stat` (clock ticks since boot), which differs between two processes that had the
 * same pid. Undefined where there is no `/proc` (macOS, Windows) or the process is gone.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Field 22 overall; fields[0] here is field 3.
    const started = fields[19];
    return started && /^\d+$/.test(started) ? started : undefined;
  } catch {
    return undefined;
  }
}
