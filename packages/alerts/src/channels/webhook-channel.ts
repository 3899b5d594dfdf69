import type { AlertTransition } from '../alert-transition.js';
import type { AlertChannel } from './alert-channel.js';
import { type PostJsonOptions, postJson } from './post-json.js';

/** A generic JSON webhook: the transition as it is, versioned, for a receiver of your own. */
export function createWebhookChannel(url: string, http: PostJsonOptions = {}): AlertChannel {
  const body = (t: AlertTransition) => ({
    version: 1,
    rule: t.rule,
    key: t.key,
    status: t.status,
    project: t.project,
    summary: t.summary,
    details: t.details,
    at: new Date(t.at).toISOString(),
  });
  return {
    name: 'webhook',
    async send(t) {
      await postJson(url, body(t), http);
    },
    request: (t) => ({ url: '<webhook>', headers: {}, body: body(t) }),
  };
}
