import type { AlertTransition } from '../alert-transition.js';
import { type AlertChannel, mask } from './alert-channel.js';
import { type PostJsonOptions, postJson } from './post-json.js';

/** The Alert API's base; EU accounts use `https://api.eu.opsgenie.com`. */
export const OPSGENIE_API_URL = 'https://api.opsgenie.com';

/**
 * Opsgenie Alert API: create with the episode key as `alias` (Opsgenie de-duplicates open alerts
 * by alias), close by alias when the condition clears. Authenticated with `GenieKey <key>`.
 */
export function createOpsgenieChannel(
  apiKey: string,
  baseUrl = OPSGENIE_API_URL,
  http: PostJsonOptions = {},
): AlertChannel {
  const alias = (t: AlertTransition) => t.key.slice(0, 512);
  const target = (t: AlertTransition) =>
    t.status === 'firing'
      ? `${baseUrl}/v2/alerts`
      : `${baseUrl}/v2/alerts/${encodeURIComponent(alias(t))}/close?identifierType=alias`;
  const body = (t: AlertTransition) =>
    t.status === 'firing'
      ? {
          message: t.summary.slice(0, 130),
          alias: alias(t),
          description: t.summary.slice(0, 15_000),
          priority: t.rule === 'spike' ? 'P1' : 'P2',
          source: 'faultline-alerts',
          tags: ['faultline', t.rule, `project:${t.project}`],
          details: Object.fromEntries(
            Object.entries(t.details).map(([k, v]) => [k, String(v).slice(0, 1_000)]),
          ),
        }
      : { source: 'faultline-alerts', note: t.summary };
  const headers = (key: string) => ({ authorization: `GenieKey ${key}` });
  return {
    name: 'opsgenie',
    async send(t) {
      await postJson(target(t), body(t), { ...http, headers: headers(apiKey) });
    },
    request: (t) => ({ url: target(t), headers: headers(mask(apiKey)), body: body(t) }),
  };
}
