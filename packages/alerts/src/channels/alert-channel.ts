import type { AlertTransition } from '../alert-transition.js';

export type ChannelName = 'slack' | 'pagerduty' | 'opsgenie' | 'webhook';

/** Where a transition goes. `request` is what `send` would POST, for `--dry-run` (secrets masked). */
export interface AlertChannel {
  readonly name: ChannelName;
  send(transition: AlertTransition): Promise<void>;
  request(transition: AlertTransition): { url: string; headers: Record<string, string>; body: unknown };
}

/** Masks all but the last 4 characters: enough to tell keys apart in a dry run, not to use one. */
export function mask(secret: string): string {
  return secret.length <= 4 ? '****' : `****${secret.slice(-4)}`;
}
