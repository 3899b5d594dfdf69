import type { AlertTransition } from '../alert-transition.js';
import type { AlertChannel } from './alert-channel.js';
import { type PostJsonOptions, postJson } from './post-json.js';

/** A Slack incoming webhook: one message per transition. */
export function createSlackChannel(webhookUrl: string, http: PostJsonOptions = {}): AlertChannel {
  const body = (t: AlertTransition) => ({
    text: `${t.status === 'firing' ? ':rotating_light:' : ':white_check_mark:'} ${t.summary}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${label(t)}*\n${t.summary}` } },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: `project ${t.project} · ${new Date(t.at).toISOString()} · ${t.key}` },
        ],
      },
    ],
  });
  return {
    name: 'slack',
    async send(t) {
      await postJson(webhookUrl, body(t), http);
    },
    request: (t) => ({ url: '<slack webhook>', headers: {}, body: body(t) }),
  };
}

function label(t: AlertTransition): string {
  const rule = {
    spike: 'Issue spike',
    regression: 'Release regression',
    degradation: 'Performance degradation',
  }[t.rule];
  return t.status === 'firing' ? rule : `${rule} resolved`;
}
