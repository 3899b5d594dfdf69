import { spawnSync } from 'node:child_process';
import { tail } from './tail.js';

export interface RunStepOptions {
  /** The step's name, for the error message. */
  step: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Default: 300 000 ms. */
  timeoutMs?: number;
  input?: string;
}

/**
 * Runs a set-up command to completion and returns its stdout. A failure names the step and
 * shows the end of its output, instead of a bare exit code.
 */
export function runStep(command: string, args: string[], options: RunStepOptions): string {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    input: options.input,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? `${options.step}: '${command}' is not installed or not on PATH`
        : `${options.step}: ${result.error.message}\n${tail(`${result.stdout ?? ''}${result.stderr ?? ''}`)}`,
    );
  }
  if (result.status !== 0) {
    throw new Error(
      `${options.step} failed (exit ${result.status ?? result.signal}):\n${tail(`${result.stdout}${result.stderr}`)}`,
    );
  }
  return result.stdout;
}
