/**
 * How long to wait for an upstream's answer once the request is sent, learned from its answers
 * as TCP learns its retransmission timeout: a smoothed round trip plus four deviations, times a
 * margin, between `minMs` and `maxMs`. A request that never answers then holds its slot for about
 * half a second at a 50 ms ingest, not for the 30 s a fixed timeout would: with 5% of requests hung,
 * a fixed timeout pins every slot.
 */
export interface AnswerTimeout {
  /** The timeout for the next request to `upstream` (ms). */
  timeoutFor(upstream: string): number;
  /** Records the time one request took from sent to answered (ms). */
  observe(upstream: string, ms: number): void;
}

export function createAnswerTimeout(options: {
  minMs: number;
  maxMs: number;
  margin?: number;
}): AnswerTimeout {
  const margin = options.margin ?? 4;
  const estimates = new Map<string, { srtt: number; rttvar: number }>();
  return {
    timeoutFor(upstream) {
      const e = estimates.get(upstream);
      // Nothing learned yet: the bound the operator set.
      if (!e) return options.maxMs;
      return Math.min(options.maxMs, Math.max(options.minMs, margin * (e.srtt + 4 * e.rttvar)));
    },
    observe(upstream, ms) {
      const e = estimates.get(upstream);
      if (!e) {
        estimates.set(upstream, { srtt: ms, rttvar: ms / 2 });
        return;
      }
      // RFC 6298's gains: 1/4 for the deviation, 1/8 for the mean.
      e.rttvar = 0.75 * e.rttvar + 0.25 * Math.abs(e.srtt - ms);
      e.srtt = 0.875 * e.srtt + 0.125 * ms;
    },
  };
}
