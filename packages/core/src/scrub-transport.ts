import type { Scrubber } from '@faultline/scrubbing';
import type { BaseTransportOptions, Transport } from '@sentry/core';

/**
 * Wraps a transport factory so every envelope is scrubbed before the transport sees it: the
 * Kafka transport, its spool and Sentry's HTTP transport only ever get scrubbed envelopes. An
 * item the scrubber cannot handle is dropped and counted as `internal_sdk_error`.
 */
export function scrubTransport<O extends BaseTransportOptions>(
  factory: (options: O) => Transport,
  scrubber: Scrubber,
): (options: O) => Transport {
  return (options) => {
    const inner = factory(options);
    const onDropped = (category: Parameters<O['recordDroppedEvent']>[1]) =>
      options.recordDroppedEvent('internal_sdk_error', category);
    return {
      send(envelope) {
        const scrubbed = scrubber.scrubEnvelope(envelope, onDropped);
        if (scrubbed[1].length === 0) return Promise.resolve({});
        return inner.send(scrubbed);
      },
      flush: (timeout) => inner.flush(timeout),
    };
  };
}
