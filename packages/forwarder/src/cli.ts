import { parseArgs } from 'node:util';
import {
  ConfigError,
  createSettingsReader,
  kafkaConnectionHelp,
  type Parsed,
  parseCount,
  parseEnum,
  parseList,
  parseProxySetting,
  parseUrl,
  resolveKafkaConnection,
  type SettingsReader,
} from '@faultline/contract';
import { readScrubSettings } from '@faultline/scrubbing';
import { createForwarder } from './create-forwarder.js';
import type { ForwarderOptions } from './forwarder-options.js';
import type { StartFrom } from './place-new-group.js';

const HELP = `faultline-forwarder: delivers Sentry envelopes from Kafka to Sentry ingest (or a Relay)

Usage:
  faultline-forwarder [run] [options]          consume and deliver until SIGTERM/SIGINT
  faultline-forwarder replay --from <time> [--to <time>] [--dead-letters] [options]
                                               deliver again the envelopes of a time window
Options (each also an environment variable; a flag wins over its variable):
  --brokers <list>          FAULTLINE_FORWARDER_KAFKA_BROKERS, else FAULTLINE_KAFKA_BROKERS
                                                                  host:port,host:port (required)
  --allowed-dsns <list>     FAULTLINE_FORWARDER_ALLOWED_DSNS      full DSNs, or public keys (required)
  --allowed-hosts <list>    FAULTLINE_FORWARDER_ALLOWED_HOSTS     hosts public keys may be sent to (host or
                                                                  host:port); needed for bare keys without --upstream
  --topic <name>            FAULTLINE_FORWARDER_TOPIC, else FAULTLINE_KAFKA_TOPIC; default sentry-envelopes
  --group <id>              FAULTLINE_FORWARDER_GROUP             default faultline-forwarder
  --start-from <where>      FAULTLINE_FORWARDER_START_FROM        where a group that never committed starts:
                                                                  earliest (default; warns when that re-sends
                                                                  more than the last hour), latest, or a time
  --dead-letter-topic <t>   FAULTLINE_FORWARDER_DEAD_LETTER_TOPIC default <topic>.dead-letter
  --upstream <url>          FAULTLINE_FORWARDER_UPSTREAM          send to this Relay instead of each DSN's host
  --max-in-flight <n>       FAULTLINE_FORWARDER_MAX_IN_FLIGHT     envelopes being delivered at once, default 256
  --max-events-per-minute <n> FAULTLINE_FORWARDER_MAX_EVENTS_PER_MINUTE  per project
  --max-breadcrumbs <n>     FAULTLINE_FORWARDER_MAX_BREADCRUMBS   per event
  --max-rate-limit-wait-ms <n> FAULTLINE_FORWARDER_MAX_RATE_LIMIT_WAIT_MS  longest rate limit held for;
                                                                  longer ones drop (and report) the
                                                                  limited items; default 60000
  --scrub [rules]           FAULTLINE_FORWARDER_SCRUB             scrub secrets before delivery; off unless set.
                                                                  Bare --scrub or "on": the default rules; "off";
                                                                  or FAULTLINE_SCRUB's grammar (email,ip).
                                                                  FAULTLINE_SCRUB_KEYS and _SAFE_FIELDS apply
  --proxy <url|off>         FAULTLINE_FORWARDER_PROXY             HTTP proxy to the ingest; default from
                                                                  HTTPS_PROXY, HTTP_PROXY and NO_PROXY
  --metrics-port <port>     FAULTLINE_FORWARDER_METRICS_PORT      /metrics, /healthz, /readyz
  --concurrency <n>         FAULTLINE_FORWARDER_CONCURRENCY       partitions read at once, default 8
  --session-timeout-ms <n>  FAULTLINE_FORWARDER_SESSION_TIMEOUT_MS how long a dead instance keeps its
                                                                  partitions, default 10000
  --log-level <level>       FAULTLINE_FORWARDER_LOG_LEVEL         debug, info, warn or error; default info
  --kafka-ssl               TLS to the brokers (see below)
${kafkaConnectionHelp('FORWARDER')}  -h, --help
Times for replay: ISO 8601 (2026-11-25T10:00:00Z) or epoch milliseconds.
`;

/** The bin ends the process with it once `main` returns. */
export { exitAfterStop } from '@faultline/contract';

/** Parses arguments and environment, runs, and returns the exit code. Never prints secrets. */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`faultline-forwarder: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const command = parsed.positionals[0] ?? 'run';
  if (command !== 'run' && command !== 'replay') {
    process.stderr.write(`faultline-forwarder: unknown command "${command}"\n\n${HELP}`);
    return 2;
  }
  const { options, settings } = resolveOptions(parsed.values, env);
  if (settings.problems.length > 0) {
    process.stderr.write(
      `faultline-forwarder: ${new ConfigError(settings.problems, 'the configuration').message}\n`,
    );
    return 2;
  }
  for (const line of settings.deprecations) process.stderr.write(`faultline-forwarder: ${line}\n`);
  let failure: Error | undefined;
  let forwarder: ReturnType<typeof createForwarder>;
  let fatal: () => void = () => undefined;
  try {
    forwarder = createForwarder({
      ...options,
      onFatal: (error) => {
        failure = error;
        fatal();
      },
    });
  } catch (error) {
    process.stderr.write(`faultline-forwarder: invalid configuration: ${(error as Error).message}\n`);
    return 2;
  }

  if (command === 'replay') {
    const from = parseTime(parsed.values.from);
    const to = parsed.values.to === undefined ? undefined : parseTime(parsed.values.to);
    if (!from || (parsed.values.to !== undefined && !to)) {
      process.stderr.write(
        'faultline-forwarder: replay needs --from <time> (and an optional --to <time>), ISO 8601 or epoch ms\n',
      );
      return 2;
    }
    const result = await forwarder.replay({
      from,
      to,
      deadLetters: parsed.values['dead-letters'] === true,
      onProgress: (p) =>
        process.stderr.write(
          `\r${progressBar(p.done, p.total)} ${p.done}/${p.total}  ${p.rate.toFixed(0)}/s  ETA ${p.etaSeconds.toFixed(0)}s   `,
        ),
    });
    process.stderr.write(`\nreplayed ${result.done} of ${result.total} envelopes\n`);
    await forwarder.stop();
    return result.done === result.total ? 0 : 1;
  }

  const stopped = new Promise<void>((resolve) => {
    fatal = resolve;
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await Promise.race([forwarder.start(), stopped]);
  await stopped;
  await forwarder.stop();
  if (failure) {
    // One line an orchestrator's log shows; the non-zero status makes it restart the process.
    process.stderr.write(`faultline-forwarder: cannot go on: ${failure.message}\n`);
    return 1;
  }
  return 0;
}

export function parse(argv: string[]) {
  // parseArgs wants a value after a string flag; a bare `--scrub` is documented as "on".
  const args = argv.map((arg, i) =>
    arg === '--scrub' && (argv[i + 1] === undefined || argv[i + 1]?.startsWith('-')) ? '--scrub=on' : arg,
  );
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      brokers: { type: 'string' },
      'allowed-dsns': { type: 'string' },
      'allowed-hosts': { type: 'string' },
      'max-in-flight': { type: 'string' },
      'log-level': { type: 'string' },
      'session-timeout-ms': { type: 'string' },
      topic: { type: 'string' },
      group: { type: 'string' },
      'dead-letter-topic': { type: 'string' },
      upstream: { type: 'string' },
      'max-events-per-minute': { type: 'string' },
      'max-breadcrumbs': { type: 'string' },
      'max-rate-limit-wait-ms': { type: 'string' },
      scrub: { type: 'string' },
      'metrics-port': { type: 'string' },
      concurrency: { type: 'string' },
      'kafka-ssl': { type: 'boolean' },
      'start-from': { type: 'string' },
      proxy: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'dead-letters': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Flags over variables, through the contract's reader: the precedence every component follows. */
export function resolveOptions(
  values: ReturnType<typeof parse>['values'],
  env: Record<string, string | undefined>,
): { options: ForwarderOptions; settings: SettingsReader } {
  // A bare `--scrub` (or `--scrub=`) means the default rules, as the help says.
  const flags = { ...values, scrub: values.scrub === '' ? 'on' : values.scrub };
  const settings = createSettingsReader({ env, flags });
  const names = (flag: string, variable: string) => [`--${flag}`, `FAULTLINE_FORWARDER_${variable}`];
  const text = (flag: string, variable: string) => settings.text(names(flag, variable))?.value;
  const count = (flag: string, variable: string, min: number) =>
    settings.parse(names(flag, variable), (t) => parseCount(t, min, Number.MAX_SAFE_INTEGER));

  const connection = resolveKafkaConnection(settings, {
    component: 'FORWARDER',
    requireBrokers: true,
    deprecated: { BROKERS: 'FAULTLINE_FORWARDER_BROKERS' },
  });
  const allowedDsns = parseList(text('allowed-dsns', 'ALLOWED_DSNS') ?? '');
  if (allowedDsns.length === 0) {
    settings.problem(
      'FAULTLINE_FORWARDER_ALLOWED_DSNS (or --allowed-dsns)',
      '(not set)',
      'at least one public key or DSN',
    );
  }
  const logLevel = settings.parse(names('log-level', 'LOG_LEVEL'), (t) => parseEnum(t, LOG_LEVELS));
  const upstream = settings.parse(names('upstream', 'UPSTREAM'), (t) => parseUrl(t));
  const options: ForwarderOptions = {
    brokers: connection.brokers,
    clientId: connection.clientId,
    ssl: connection.ssl,
    sasl: connection.sasl as ForwarderOptions['sasl'],
    allowedDsns,
    allowedHosts: parseList(text('allowed-hosts', 'ALLOWED_HOSTS') ?? ''),
    logLevel,
    maxInFlight: count('max-in-flight', 'MAX_IN_FLIGHT', 1),
    maxRateLimitWaitMs: count('max-rate-limit-wait-ms', 'MAX_RATE_LIMIT_WAIT_MS', 1),
    sessionTimeoutMs: count('session-timeout-ms', 'SESSION_TIMEOUT_MS', 1),
    // The topic is the cluster's, so FAULTLINE_KAFKA_TOPIC (the services') names it too.
    topic: settings.text(['--topic', 'FAULTLINE_FORWARDER_TOPIC', 'FAULTLINE_KAFKA_TOPIC'])?.value,
    groupId: text('group', 'GROUP'),
    deadLetterTopic: text('dead-letter-topic', 'DEAD_LETTER_TOPIC'),
    upstream: upstream?.href,
    maxEventsPerMinute: count('max-events-per-minute', 'MAX_EVENTS_PER_MINUTE', 1),
    maxBreadcrumbs: count('max-breadcrumbs', 'MAX_BREADCRUMBS', 0),
    metricsPort: settings.parse(names('metrics-port', 'METRICS_PORT'), (t) => parseCount(t, 0, 65535)),
    concurrency: count('concurrency', 'CONCURRENCY', 1),
    startFrom: settings.parse(names('start-from', 'START_FROM'), parseStartFrom),
    proxy: settings.parse(names('proxy', 'PROXY'), parseProxySetting),
    // Off unless asked: the services scrub before they send.
    scrub: readScrubSettings(settings, names('scrub', 'SCRUB'), 'off'),
  };
  return { options, settings };
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

function parseStartFrom(text: string): Parsed<StartFrom> {
  if (text === 'earliest' || text === 'latest') return { ok: true, value: text };
  const date = parseTime(text);
  if (date) return { ok: true, value: date };
  return { ok: false, expected: 'earliest, latest, or a time (ISO 8601 or epoch milliseconds)' };
}

function parseTime(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const date = /^\d+$/.test(text) ? new Date(Number(text)) : new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function progressBar(done: number, total: number, width = 30): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
