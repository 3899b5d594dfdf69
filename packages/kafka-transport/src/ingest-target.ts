import { dsnFromEnvelopeEndpoint, formatDsn } from '@faultline/contract';

/** Where the SDK would have sent an envelope, as the Kafka message contract names it. */
export interface IngestTarget {
  /** The public DSN (no secret), e.g. `https://<key>@o1.ingest.sentry.io/42`. */
  dsn: string;
  projectId: string;
}

/**
 * Recovers the public DSN from the ingest URL the SDK hands a transport
 * (`<protocol>://<host>[/path]/api/<project>/envelope/?sentry_key=<key>&...`).
 * Undefined when the URL is not of that form (a tunnel).
 */
export function ingestTargetFromUrl(url: string): IngestTarget | undefined {
  const dsn = dsnFromEnvelopeEndpoint(url);
  return dsn ? { dsn: formatDsn(dsn), projectId: dsn.projectId } : undefined;
}
