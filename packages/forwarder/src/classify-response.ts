/** What an ingest answer means for an envelope. */
export type ResponseClass = 'delivered' | 'rate_limited' | 'retry' | 'rejected';

/**
 * 2xx delivered; 429 wait for the limit and send again; 408 and 5xx (and no answer at all)
 * retry with backoff; any other 4xx is final, the envelope goes to the dead-letter topic.
 */
export function classifyResponse(status: number | undefined): ResponseClass {
  if (status === undefined) return 'retry';
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 429) return 'rate_limited';
  if (status === 408 || status >= 500 || status < 200) return 'retry';
  return 'rejected';
}
