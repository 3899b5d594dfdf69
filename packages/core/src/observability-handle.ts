import type { KafkaTransportStats } from '@faultline/contract';
import type { ErrorPolicyStats } from '@faultline/sampling';
import type { ResolvedConfig } from './resolve-config.js';

/** Faultline's counters since start-up, to export as the service's own metrics. */
export interface ObservabilityStats {
  /** The error policy's decisions; absent when error sampling is off. */
  errors?: ErrorPolicyStats;
  /** The Kafka transport and its spool; absent with the HTTP transport. */
  kafka?: KafkaTransportStats;
}

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
  /** Counters since start-up; cheap enough for every metrics scrape. */
  stats(): ObservabilityStats;
}

/** The handle when Faultline is off. */
export function createNoopHandle(config: ResolvedConfig, onClose: () => void): ObservabilityHandle {
  return {
    enabled: false,
    config,
    flush: () => Promise.resolve(true),
    stats: () => ({}),
    close: () => {
      onClose();
      return Promise.resolve(true);
    },
  };
}
