import { spawn } from 'node:child_process';

export interface NodeScriptResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a Node.js script in a child process, as a user's service would run, and resolves with
 * its exit and output. `onSpawn` gets the child, for tests that send it signals.
 * Killed after `timeoutMs` (default 30 000 ms) so a hung child cannot hang the suite.
 */
export function runNodeScript(
  script: string,
  options: {
    args?: string[];
    nodeArgs?: string[];
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    /**
     * A command that runs node (node's path is its last argument), such as
     * `['unshare', '-pf', '--mount-proc']` for a process that is PID 1 in its own PID namespace.
     */
    wrapper?: string[];
    timeoutMs?: number;
    onStdout?: (text: string, child: import('node:child_process').ChildProcess) => void;
    onSpawn?: (child: import('node:child_process').ChildProcess) => void;
  } = {},
): Promise<NodeScriptResult> {
  return new Promise((resolve, reject) => {
    const [command = process.execPath, ...prefix] = [...(options.wrapper ?? []), process.execPath];
    const args = [...prefix, ...(options.nodeArgs ?? []), script, ...(options.args ?? [])];
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      options.onStdout?.(text, child);
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.once('error', reject);
    // 'close', not 'exit': it comes after the output pipes are drained.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
