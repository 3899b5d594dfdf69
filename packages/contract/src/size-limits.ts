/**
 * Largest accepted sizes, per envelope and per item type, as Relay checks them before anything
 * else (`relay_config::Limits`, `check_envelope_size_limits`). Item types without a limit here
 * (and types Relay does not know) pass through untouched. The forwarder and the intake check them.
 */
export interface SizeLimits {
  /** The whole envelope (Relay `max_envelope_size`). */
  envelope: number;
  /** An `event`, `transaction`, `feedback` or `user_report` item (Relay `max_event_size`). */
  event: number;
  /** One `attachment` item (Relay `max_attachment_size`). */
  attachment: number;
  /** All attachments of an envelope together (Relay `max_attachments_size`). */
  attachments: number;
  /** A `check_in` item (Relay `max_check_in_size`). */
  checkIn: number;
  /** A `span` item (Relay `max_span_size`). */
  span: number;
  /** A `log` item (Relay `max_log_size`). */
  log: number;
  /** All `client_report` items together (Relay `max_client_reports_size`). */
  clientReports: number;
  /** A `profile` or `profile_chunk` item (Relay `max_profile_size`). */
  profile: number;
  /** A `replay_recording` or `replay_video` item (Relay `max_replay_compressed_size`). */
  replay: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Relay's defaults (`impl Default for Limits` in relay-config). Checked at the source: event
 * 1 MiB and check-in 100 KiB (also in Sentry's envelope docs), profile 50 MiB, span 10 MiB (raised
 * from 1 MiB in April 2026, so that spans reach trimming instead of a 413). The others are Relay's
 * long-standing values; override any of them with `sizeLimits`.
 */
export const DEFAULT_SIZE_LIMITS: Readonly<SizeLimits> = Object.freeze({
  envelope: 100 * MiB,
  event: 1 * MiB,
  attachment: 100 * MiB,
  attachments: 100 * MiB,
  checkIn: 100 * KiB,
  span: 10 * MiB,
  log: 1 * MiB,
  clientReports: 4 * KiB,
  profile: 50 * MiB,
  replay: 10 * MiB,
});

/** The per-item limit that applies to an item type, or undefined for none. */
export function itemLimit(limits: SizeLimits, type: string): number | undefined {
  switch (type) {
    case 'event':
    case 'transaction':
    case 'feedback':
    case 'user_report':
      return limits.event;
    case 'attachment':
      return limits.attachment;
    case 'check_in':
      return limits.checkIn;
    case 'span':
      return limits.span;
    case 'log':
      return limits.log;
    case 'profile':
    case 'profile_chunk':
      return limits.profile;
    case 'replay_recording':
    case 'replay_video':
      return limits.replay;
    default:
      return undefined;
  }
}
