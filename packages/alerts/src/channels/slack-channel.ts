import type { AlertTransition } from '../alert-transition.js';
import type { AlertChannel } from './alert-channel.js';
import { type PostJsonOptions, postJson } from './post-json.js';

/** A Slack incoming webhook: one message per transition. */
export function createSlackChannel(webhookUrl: string, http: PostJsonOptions = {}): AlertChannel {
  const body = (t: AlertTransition) => {
    const summary = escapeMrkdwn(t.summary.slice(0, 2_000));
    return {
      text: `${t.status === 'firing' ? ':rotating_light:' : ':white_check_mark:'} ${summary}`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `*${label(t)}*\n${summary}` } },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: escapeMrkdwn(
                `project ${t.project} · ${new Date(t.at).toISOString()} · ${t.key.slice(0, 300)}`,
              ),
            },
          ],
        },
      ],
    };
  };
  return {
    name: 'slack',
    async send(t) {
      await postJson(webhookUrl, body(t), http);
    },
    request: (t) => ({ url: '<slack webhook>', headers: {}, body: body(t) }),
  };
}

/**
 * Slack's own escaping for mrkdwn: `&`, `<` and `>` as entities, so text from an event (an
 * exception message, a release) cannot mention `<!channel>`, a user, or draw a link.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function label(t: AlertTransition): string {
  const rule = {
    spike: 'Issue spike',
    regression: 'Release regression',
    degradation: 'Performance degradation',
  }[t.rule];
  return t.status === 'firing' ? rule : `${rule} resolved`;
}
