/** How long a stopped service's process may take to end by itself (see exitAfterStop). */
export const EXIT_GRACE_MS = 5000;

/**
 * Ends a command-line service's process once it has stopped: it sets the exit code and lets the
 * process end by itself; whatever is still open `graceMs` later is named on stderr in one line,
 * and the process exits anyway with that code.
 *
 * Why: a stopped service has committed, left its group and closed its servers. A handle a
 * dependency leaves open (KafkaJS has left sockets; see fixKafkaJsOrphanConnections) must not keep
 * it running until the orchestrator's kill, which would report a clean stop as a failure.
 */
export function exitAfterStop(name: string, code: number, graceMs = EXIT_GRACE_MS): void {
  process.exitCode = code;
  setTimeout(() => {
    const open = process.getActiveResourcesInfo().filter((kind) => kind !== 'Timeout');
    process.stderr.write(
      `${name}: stopped, but still open after ${graceMs} ms: ${open.join(', ')}; exiting\n`,
    );
    process.exit(code);
  }, graceMs).unref();
}
