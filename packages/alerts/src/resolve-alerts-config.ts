import { readFileSync } from 'node:fs';
import {
  createSettingsReader,
  DEFAULT_ENVELOPE_TOPIC,
  FaultlineError,
  type KafkaConnection,
  parseBoolean,
  parseBrokers,
  parseProxySetting,
  resolveKafkaConnection,
  STALL_AFTER_MS,
} from '@faultline/contract';
import { parse as parseYaml } from 'yaml';
import type { AlertRulesOptions } from './alert-evaluator.js';
import type { AlertRuleName } from './alert-transition.js';
import type { AlertChannelsOptions, AlertsOptions } from './alerts-options.js';
import type { ChannelName } from './channels/alert-channel.js';

const RULES: readonly AlertRuleName[] = ['spike', 'regression', 'degradation'];
const CHANNELS: readonly ChannelName[] = ['slack', 'pagerduty', 'opsgenie', 'webhook'];
const SEED_ROUTES: Record<AlertRuleName, ChannelName> = {
  spike: 'pagerduty',
  regression: 'slack',
  degradation: 'opsgenie',
};

/** Each rule's numeric settings: the file's key, its environment variable, and its bounds. */
const NUMBERS: Record<AlertRuleName, [key: string, variable: string, min: number, max: number][]> = {
  spike: [
    ['increasePercent', 'FAULTLINE_ALERTS_SPIKE_INCREASE_PERCENT', 1, 100_000],
    ['baselineMinutes', 'FAULTLINE_ALERTS_SPIKE_BASELINE_MINUTES', 1, 60],
    ['minPerMinute', 'FAULTLINE_ALERTS_SPIKE_MIN_PER_MINUTE', 1, 1e9],
    ['resolveAfterMinutes', 'FAULTLINE_ALERTS_SPIKE_RESOLVE_AFTER_MINUTES', 1, 60],
  ],
  regression: [
    ['newIssues', 'FAULTLINE_ALERTS_REGRESSION_NEW_ISSUES', 1, 10_000],
    ['windowMinutes', 'FAULTLINE_ALERTS_REGRESSION_WINDOW_MINUTES', 1, 7 * 24 * 60],
  ],
  degradation: [
    ['factor', 'FAULTLINE_ALERTS_DEGRADATION_FACTOR', 1.01, 1000],
    ['consecutiveMinutes', 'FAULTLINE_ALERTS_DEGRADATION_MINUTES', 1, 60],
    ['percentile', 'FAULTLINE_ALERTS_DEGRADATION_PERCENTILE', 1, 100],
    ['baselineMinutes', 'FAULTLINE_ALERTS_DEGRADATION_BASELINE_MINUTES', 1, 24 * 60],
  ],
};

/**
 * Every problem at once, each naming the setting, so one start-up fixes them all. Its `code` is
 * `FAULTLINE_CONFIG`, as every Faultline configuration error's.
 */
export class AlertsConfigError extends FaultlineError {
  constructor(readonly problems: string[]) {
    super('FAULTLINE_CONFIG', `invalid alerts configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'AlertsConfigError';
  }
}

export interface ResolvedAlertsConfig {
  brokers: string[];
  /** TLS, SASL and client id, as every component reads them. Holds secrets: never log it. */
  connection: KafkaConnection;
  /** Old variables still read, for the log. */
  deprecations: string[];
  /** `FAULTLINE_ALERTS_PROXY`: a proxy URL for the channels, false for none, undefined: the environment's. */
  proxy: string | false | undefined;
  topic: string;
  groupId: string;
  stateTopic: string;
  /** One partition; the instance holding it is the active one. */
  leaderTopic: string;
  rules: AlertRulesOptions;
  channels: AlertChannelsOptions;
  routes: Record<AlertRuleName, ChannelName[]>;
  dryRun: boolean;
  lookbackMinutes: number;
  tickMs: number;
  stallAfterMs: number;
  /** Projects counted; undefined: every project. */
  projects: ReadonlySet<string> | undefined;
}

/**
 * One precedence, as every Faultline component: an option (the CLI's flags become options), then
 * a `FAULTLINE_ALERTS_*` variable, then the rule file (`FAULTLINE_ALERTS_RULES_FILE`, YAML or
 * JSON, with the shape of `AlertsOptions` less the Kafka settings), then the default. The Kafka
 * connection is read by the contract's resolver (`FAULTLINE_ALERTS_KAFKA_*`, then
 * `FAULTLINE_KAFKA_*`). Throws an {@link AlertsConfigError} listing every problem.
 */
export function resolveAlertsConfig(
  options: Partial<AlertsOptions> = {},
  env: Record<string, string | undefined> = process.env,
): ResolvedAlertsConfig {
  const problems: string[] = [];
  const settings = createSettingsReader({ env });
  const file = readRuleFile(env.FAULTLINE_ALERTS_RULES_FILE, problems);
  for (const key of Object.keys(file)) {
    if (!['rules', 'routes', 'channels', 'dryRun', 'lookbackMinutes'].includes(key)) {
      problems.push(
        `rule file: unknown key "${key}" (expected rules, routes, channels, dryRun, lookbackMinutes)`,
      );
    }
  }

  const rules: AlertRulesOptions = {};
  const fileRules = object(file.rules, 'rule file: rules', problems);
  const optionRules = (options.rules ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(fileRules)) {
    if (!RULES.includes(key as AlertRuleName))
      problems.push(`rule file: rules.${key} is not a rule (${RULES.join(', ')})`);
  }
  for (const rule of RULES) {
    const fromOptions = optionRules[rule];
    const fromFile = fileRules[rule];
    if (
      fromOptions === false ||
      fromFile === false ||
      env[`FAULTLINE_ALERTS_${rule.toUpperCase()}`] === 'off'
    ) {
      rules[rule] = false;
      continue;
    }
    const optionSettings = object(fromOptions, `options.rules.${rule}`, problems);
    const settings: Record<string, number> = {};
    const fileSettings = object(fromFile, `rule file: rules.${rule}`, problems);
    const known = NUMBERS[rule].map(([key]) => key);
    for (const [key, value] of Object.entries(fileSettings)) {
      if (!known.includes(key)) {
        problems.push(`rule file: rules.${rule}.${key} is not a setting (${known.join(', ')})`);
        continue;
      }
      settings[key] = value as number;
    }
    for (const [key, variable, min, max] of NUMBERS[rule]) {
      const option = optionSettings[key];
      const raw = option === undefined ? env[variable] : undefined;
      const fromEnv = raw !== undefined && raw.trim() !== '';
      const value = option !== undefined ? option : fromEnv ? Number(raw) : settings[key];
      if (value === undefined) continue;
      const where = fromEnv ? variable : `rules.${rule}.${key}`;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
        problems.push(`${where}=${JSON.stringify(raw ?? value)}: expected a number from ${min} to ${max}`);
        continue;
      }
      settings[key] = value;
    }
    (rules as Record<string, unknown>)[rule] = settings;
  }

  const fileChannels = object(file.channels, 'rule file: channels', problems) as AlertChannelsOptions;
  const channels: AlertChannelsOptions = { ...fileChannels, ...options.channels };
  const secret = (variable: string) => env[variable]?.trim() || undefined;
  const slack = secret('FAULTLINE_ALERTS_SLACK_WEBHOOK_URL');
  if (slack) channels.slack = { webhookUrl: slack };
  const routingKey = secret('FAULTLINE_ALERTS_PAGERDUTY_ROUTING_KEY');
  if (routingKey) channels.pagerduty = { ...channels.pagerduty, routingKey };
  if (secret('FAULTLINE_ALERTS_PAGERDUTY_URL') && channels.pagerduty) {
    channels.pagerduty.url = secret('FAULTLINE_ALERTS_PAGERDUTY_URL');
  }
  const apiKey = secret('FAULTLINE_ALERTS_OPSGENIE_API_KEY');
  if (apiKey) channels.opsgenie = { ...channels.opsgenie, apiKey };
  if (secret('FAULTLINE_ALERTS_OPSGENIE_URL') && channels.opsgenie) {
    channels.opsgenie.url = secret('FAULTLINE_ALERTS_OPSGENIE_URL');
  }
  const webhook = secret('FAULTLINE_ALERTS_WEBHOOK_URL');
  if (webhook) channels.webhook = { url: webhook };
  for (const [name, url] of [
    ['slack', channels.slack?.webhookUrl],
    ['pagerduty', channels.pagerduty?.url],
    ['opsgenie', channels.opsgenie?.url],
    ['webhook', channels.webhook?.url],
  ] as const) {
    // Never echo the value: webhook URLs carry their secret in the path.
    if (url !== undefined && !/^https?:\/\/[^/\s]+/.test(url))
      problems.push(`${name}: its URL is not an http(s) URL`);
  }
  if (channels.pagerduty && !channels.pagerduty.routingKey) problems.push('pagerduty: no routing key');
  if (channels.opsgenie && !channels.opsgenie.apiKey) problems.push('opsgenie: no API key');

  const configured = CHANNELS.filter((name) => channels[name] !== undefined);
  const dryRun =
    options.dryRun ?? settings.parse(['FAULTLINE_ALERTS_DRY_RUN'], parseBoolean) ?? file.dryRun === true;
  const fileRoutes = object(file.routes, 'rule file: routes', problems);
  const routes = {} as Record<AlertRuleName, ChannelName[]>;
  for (const rule of RULES) {
    const given = options.routes?.[rule] ?? fileRoutes[rule];
    if (given === undefined) {
      routes[rule] = [SEED_ROUTES[rule], 'webhook'].filter((c) =>
        configured.includes(c as ChannelName),
      ) as ChannelName[];
      continue;
    }
    const list = Array.isArray(given) ? given : [given];
    routes[rule] = [];
    for (const channel of list) {
      if (!CHANNELS.includes(channel))
        problems.push(`routes.${rule}: "${channel}" is not a channel (${CHANNELS.join(', ')})`);
      else if (!configured.includes(channel) && !dryRun)
        problems.push(`routes.${rule}: ${channel} is not configured`);
      else routes[rule].push(channel);
    }
  }
  if (configured.length === 0 && !dryRun) {
    problems.push(
      'no channel configured: set FAULTLINE_ALERTS_SLACK_WEBHOOK_URL, _PAGERDUTY_ROUTING_KEY, _OPSGENIE_API_KEY or _WEBHOOK_URL (or use --dry-run)',
    );
  }

  const connection = resolveKafkaConnection(settings, {
    component: 'ALERTS',
    requireBrokers: options.brokers === undefined,
    readBrokers: options.brokers === undefined,
    deprecated: { BROKERS: 'FAULTLINE_ALERTS_BROKERS' },
  });
  const proxy = settings.parse(['FAULTLINE_ALERTS_PROXY'], parseProxySetting);
  for (const p of settings.problems) problems.push(`${p.source}=${p.value}: expected ${p.expected}`);
  let brokers = connection.brokers;
  if (options.brokers !== undefined) {
    const parsed = parseBrokers(options.brokers);
    if (parsed.ok) brokers = parsed.value;
    else
      problems.push(
        `brokers (or --brokers)=${JSON.stringify(options.brokers.join(','))}: expected ${parsed.expected}`,
      );
  }
  const topic =
    options.topic ||
    env.FAULTLINE_ALERTS_TOPIC?.trim() ||
    env.FAULTLINE_KAFKA_TOPIC?.trim() ||
    DEFAULT_ENVELOPE_TOPIC;
  const lookback =
    options.lookbackMinutes ?? (typeof file.lookbackMinutes === 'number' ? file.lookbackMinutes : 65);
  if (!Number.isInteger(lookback) || lookback < 1)
    problems.push('lookbackMinutes: expected a whole number of at least 1');

  const projectList = (options.projects ?? env.FAULTLINE_ALERTS_PROJECTS?.split(','))
    ?.map((p) => String(p).trim())
    .filter(Boolean);
  for (const project of projectList ?? []) {
    if (!/^\d{1,20}$/.test(project))
      problems.push(`FAULTLINE_ALERTS_PROJECTS: "${project}" is not a project id (digits, as in a DSN)`);
  }
  if (projectList && projectList.length === 0)
    problems.push('FAULTLINE_ALERTS_PROJECTS: empty; unset it to count every project');

  if (problems.length > 0) throw new AlertsConfigError(problems);
  return {
    connection,
    deprecations: settings.deprecations,
    proxy,
    projects: projectList ? new Set(projectList) : undefined,
    brokers,
    topic,
    groupId: options.groupId || env.FAULTLINE_ALERTS_GROUP?.trim() || 'faultline-alerts',
    stateTopic: options.stateTopic ?? `${topic}.alerts-state`,
    leaderTopic: `${options.stateTopic ?? `${topic}.alerts-state`}.leader`,
    rules,
    channels,
    routes,
    dryRun,
    lookbackMinutes: lookback,
    tickMs: options.tickMs ?? 5_000,
    stallAfterMs: options.stallAfterMs ?? STALL_AFTER_MS,
  };
}

function readRuleFile(path: string | undefined, problems: string[]): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(
      `FAULTLINE_ALERTS_RULES_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`,
    );
    return {};
  }
  try {
    const parsed = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
    problems.push(`FAULTLINE_ALERTS_RULES_FILE: ${path} does not hold a mapping`);
  } catch (error) {
    problems.push(
      `FAULTLINE_ALERTS_RULES_FILE: ${path} does not parse: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return {};
}

function object(value: unknown, where: string, problems: string[]): Record<string, unknown> {
  if (value === undefined || value === null || value === false) return {};
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  problems.push(`${where}: expected a mapping`);
  return {};
}
