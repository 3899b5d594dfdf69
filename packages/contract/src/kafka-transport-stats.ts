/**
 * What the Kafka transport has done so far. Declared here, not in the transport, so that
 * `@faultline/core` can expose it without its types naming kafkajs.
 */
export interface KafkaTransportStats {
  /** Envelopes acknowledged by Kafka, fresh or drained from the spool. */
  delivered: number;
  /** Envelopes written to the spool (Kafka unreachable, slow, or the memory queue full). */
  spooled: number;
  /** Of `delivered`, the envelopes sent from the spool after an outage. */
  drained: number;
  /** Envelopes dropped and counted in client reports (too large, spool full or failing). */
  dropped: number;
  /** Envelopes waiting in memory now. */
  queued: number;
  /**
   * Spools left by processes of the same service that are gone (a worker killed during an
   * outage), taken over and drained to the end by this one.
   */
  adopted: number;
  /** Envelopes in the spool now (this process's and one it adopted), and their bytes on disk. */
  inSpool: number;
  spoolBytes: number;
  connected: boolean;
}
