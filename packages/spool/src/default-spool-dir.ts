import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * The default spool directory of a service: `<os tmpdir>/faultline-spool-<uid>/<name>`. Per user,
 * because the temp dir is shared: a fixed path there could be created first by another local user,
 * who would then read every envelope. The spool refuses a directory it does not own.
 */
export function defaultSpoolDir(name: string): string {
  const user = process.getuid?.() ?? safeUserName();
  return join(tmpdir(), `faultline-spool-${user}`, name.replace(/[^\w.-]/g, '_'));
}

function safeUserName(): string {
  try {
    return userInfo().username.replace(/[^\w.-]/g, '_');
  } catch {
    return 'user';
  }
}
