import { constants } from 'node:os';
import type { Logger } from './logger.js';

export interface ShutdownHooksOptions {
  /** Flushes pending telemetry; must resolve within `timeoutMs`. */
  flush: (timeoutMs: number) => Promise<boolean>;
  timeoutMs: number;
  /** Install SIGTERM and SIGINT handlers. */
  handleSignals: boolean;
  /** Subscribes to "something was handed to the transport"; returns an unsubscribe function. */
  onSend: (listener: () => void) => () => void;
  logger: Logger;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
/** How long a re-raised signal has to end the process before it exits by itself. */
const RERAISE_GRACE_MS = 500;
/** beforeExit fires again after each flush that did work; cap the rounds in case it never settles. */
const MAX_EXIT_FLUSHES = 3;

/**
 * On SIGTERM/SIGINT: flush within the bound, then let the process behave as it would have.
 * If the app listens to the signal too, its handlers decide (Faultline only adds the flush);
 * if not, the signal is raised again with Faultline's handler removed, so the process ends the
 * default way (exit status 128 + signal); as PID 1, where the kernel would ignore it, the process
 * exits with that status itself. A second signal during the flush does that at once.
 * On `beforeExit`: flush what was sent since the last flush.
 * Returns a function that removes every hook.
 */
export function installShutdownHooks(options: ShutdownHooksOptions): () => void {
  const { flush, timeoutMs, logger } = options;
  let flushing = false;
  let dirty = false;
  let exitFlushes = 0;

  const unsubscribe = options.onSend(() => {
    dirty = true;
  });

  const onSignal = (signal: NodeJS.Signals) => {
    // Counted at signal time: the app may add its handlers after initObservability().
    const appListens = process.listenerCount(signal) > 1;
    if (flushing) {
      if (!appListens) reraise(signal);
      return;
    }
    flushing = true;
    logger.debug(`${signal}: flushing (at most ${timeoutMs} ms)`);
    void flush(timeoutMs).then((done) => {
      flushing = false;
      if (!done)
        logger.warn(`${signal}: flush did not finish within ${timeoutMs} ms; some events may be lost`);
      if (!appListens) reraise(signal);
    });
  };

  const onBeforeExit = () => {
    if (!dirty || flushing || exitFlushes >= MAX_EXIT_FLUSHES) return;
    dirty = false;
    exitFlushes++;
    flushing = true;
    void flush(timeoutMs).then(() => {
      flushing = false;
    });
  };

  function remove(): void {
    for (const signal of SIGNALS) process.removeListener(signal, onSignal);
    process.removeListener('beforeExit', onBeforeExit);
    unsubscribe();
  }

  function reraise(signal: NodeJS.Signals): void {
    remove();
    const status = 128 + (constants.signals[signal] ?? 0);
    // The kernel drops a signal sent to PID 1 (a container's first process) unless it has a
    // handler: re-raised there, it would be ignored and the orchestrator would wait out its grace
    // period and SIGKILL. Exit with the status a shell reports for the signal instead.
    if (process.pid === 1) process.exit(status);
    process.kill(process.pid, signal);
    // Ignored anyway (a PID namespace's init, a signal blocked by the parent): same ending.
    setTimeout(() => process.exit(status), RERAISE_GRACE_MS);
  }

  if (options.handleSignals) for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on('beforeExit', onBeforeExit);
  return remove;
}
