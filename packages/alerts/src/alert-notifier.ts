import type { Logger } from '@faultline/contract';
import type { AlertRuleName, AlertTransition } from './alert-transition.js';
import type { AlertChannelsOptions } from './alerts-options.js';
import type { AlertChannel, ChannelName } from './channels/alert-channel.js';
import { createOpsgenieChannel } from './channels/opsgenie-channel.js';
import { createPagerDutyChannel } from './channels/pagerduty-channel.js';
import type { PostJsonOptions } from './channels/post-json.js';
import { createSlackChannel } from './channels/slack-channel.js';
import { createWebhookChannel } from './channels/webhook-channel.js';

export interface AlertNotifier {
  /**
   * Sends to the rule's channels (or, in a dry run, logs what would be sent); never rejects.
   * Resolves false when every channel failed (after its own retries): the caller tries later.
   */
  notify(transition: AlertTransition): Promise<boolean>;
}

export function createAlertNotifier(options: {
  channels: AlertChannelsOptions;
  routes: Record<AlertRuleName, ChannelName[]>;
  dryRun: boolean;
  logger: Logger;
  http?: PostJsonOptions;
}): AlertNotifier {
  const { channels, logger, http } = options;
  const built = new Map<ChannelName, AlertChannel>();
  if (channels.slack) built.set('slack', createSlackChannel(channels.slack.webhookUrl, http));
  if (channels.pagerduty) {
    built.set(
      'pagerduty',
      createPagerDutyChannel(channels.pagerduty.routingKey, channels.pagerduty.url, http),
    );
  }
  if (channels.opsgenie) {
    built.set('opsgenie', createOpsgenieChannel(channels.opsgenie.apiKey, channels.opsgenie.url, http));
  }
  if (channels.webhook) built.set('webhook', createWebhookChannel(channels.webhook.url, http));

  return {
    async notify(transition) {
      const names = options.routes[transition.rule];
      const fields = { rule: transition.rule, key: transition.key, status: transition.status };
      if (options.dryRun) {
        for (const name of names.length > 0 ? names : ['(no channel)']) {
          const channel = built.get(name as ChannelName);
          logger.info(`dry run: would send ${transition.status} to ${name}: ${transition.summary}`, {
            ...fields,
            request: channel?.request(transition),
          });
        }
        return true;
      }
      const sent = await Promise.all(
        names.map(async (name) => {
          const channel = built.get(name);
          if (!channel) return false;
          try {
            await channel.send(transition);
            logger.info(`sent ${transition.status} to ${name}: ${transition.summary}`, fields);
            return true;
          } catch (error) {
            // The message is the status only: channel URLs and keys are secrets.
            logger.error(
              `could not send ${transition.status} to ${name}: ${(error as Error).message}`,
              fields,
            );
            return false;
          }
        }),
      );
      return sent.length === 0 || sent.includes(true);
    },
  };
}
