import type { ErrorPolicyStats } from '@faultline/sampling';
import type { ResolvedConfig } from './resolve-config.js';

/**
 * Faultline's counters since start-up, to export as the service's own metrics. Declared here
 * rather than imported from the Kafka transport, so these types never name kafkajs.
 */
export interface ObservabilityStats {
  /** The error policy's decisions; absent when error sampling is off. */
  errors?: ErrorPolicyStats;
  /** The Kafka transport and its spool; absent with the HTTP transport. */
  kafka?: {
    /** Envelopes Kafka acknowledged straight from memory. */
    delivered: number;
    /** Envelopes written to the spool (Kafka away, slow, or the memory queue full). */
    spooled: number;
    /** Envelopes sent from the spool to Kafka later. */
    drained: number;
    /** Envelopes dropped and counted in client reports (too large, spool full or failing). */
    dropped: number;
    /** Envelopes waiting in memory now. */
    queued: number;
    /** Envelopes in the spool now, and its bytes on disk. */
    inSpool: number;
    spoolBytes: number;
    connected: boolean;
  };
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
