import type { ResolvedConfig } from './resolve-config.js';

/** What `initObservability()` returns. Its methods never throw. */
export interface ObservabilityHandle {
  /** False when Faultline is off (no DSN): every method resolves at once. */
  readonly enabled: boolean;
  /** The resolved configuration. Contains the DSN: do not log it. */
  readonly config: ResolvedConfig;
  /** Sends what is pending; resolves `true` if everything went out within `timeoutMs`. */
  flush(timeoutMs?: number): Promise<boolean>;
  /**
   * Flushes, then shuts the SDK down and removes Faultline's signal and exit hooks.
   * A later `initObservability()` starts afresh.
   */
  close(timeoutMs?: number): Promise<boolean>;
}

/** The handle when Faultline is off. */
export function createNoopHandle(config: ResolvedConfig, onClose: () => void): ObservabilityHandle {
  return {
    enabled: false,
    config,
    flush: () => Promise.resolve(true),
    close: () => {
      onClose();
      return Promise.resolve(true);
    },
  };
}
