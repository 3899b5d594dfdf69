import type { AlertTransition } from '../alert-transition.js';
import { type AlertChannel, mask } from './alert-channel.js';
import { type PostJsonOptions, postJson } from './post-json.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

/**
 * PagerDuty Events API v2: `trigger` with the episode key as `dedup_key`, so PagerDuty groups
 * repeats into one incident, and `resolve` with the same key when the condition clears.
 */
export function createPagerDutyChannel(
  routingKey: string,
  url = PAGERDUTY_EVENTS_URL,
  http: PostJsonOptions = {},
): AlertChannel {
  const body = (t: AlertTransition, key: string) =>
    t.status === 'firing'
      ? {
          routing_key: key,
          event_action: 'trigger',
          dedup_key: t.key.slice(0, 255),
          payload: {
            summary: t.summary.slice(0, 1024),
            source: 'faultline-alerts',
            severity: t.rule === 'spike' ? 'critical' : 'error',
            timestamp: new Date(t.at).toISOString(),
            component: `project ${t.project}`,
            group: t.rule,
            class: t.rule,
            custom_details: t.details,
          },
        }
      : { routing_key: key, event_action: 'resolve', dedup_key: t.key.slice(0, 255) };
  return {
    name: 'pagerduty',
    async send(t) {
      await postJson(url, body(t, routingKey), http);
    },
    request: (t) => ({ url, headers: {}, body: body(t, mask(routingKey)) }),
  };
}
