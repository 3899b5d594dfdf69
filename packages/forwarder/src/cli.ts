import { parseArgs } from 'node:util';
import { parseKeyList, parseScrubSetting } from '@faultline/scrubbing';
import { createForwarder } from './create-forwarder.js';
import type { ForwarderOptions } from './forwarder-options.js';
import { isLogLevel } from './logger.js';

const HELP = `faultline-forwarder: delivers Sentry envelopes from Kafka to Sentry ingest (or a Relay)

Usage:
  faultline-forwarder [run] [options]          consume and deliver until SIGTERM/SIGINT
  faultline-forwarder replay --from <time> [--to <time>] [--dead-letters] [options]
                                               deliver again the envelopes of a time window
Options (each also an environment variable):
  --brokers <list>          FAULTLINE_FORWARDER_BROKERS           host:port,host:port (required)
  --allowed-dsns <list>     FAULTLINE_FORWARDER_ALLOWED_DSNS      full DSNs, or public keys (required)
  --allowed-hosts <list>    FAULTLINE_FORWARDER_ALLOWED_HOSTS     hosts public keys may be sent to (host or
                                                                  host:port); needed for bare keys without --upstream
  --topic <name>            FAULTLINE_FORWARDER_TOPIC             default sentry-envelopes
  --group <id>              FAULTLINE_FORWARDER_GROUP             default faultline-forwarder
  --dead-letter-topic <t>   FAULTLINE_FORWARDER_DEAD_LETTER_TOPIC default <topic>.dead-letter
  --upstream <url>          FAULTLINE_FORWARDER_UPSTREAM          send to this Relay instead of each DSN's host
  --max-in-flight <n>       FAULTLINE_FORWARDER_MAX_IN_FLIGHT     envelopes being delivered at once, default 256
  --max-events-per-minute <n> FAULTLINE_FORWARDER_MAX_EVENTS_PER_MINUTE  per project
  --max-breadcrumbs <n>     FAULTLINE_FORWARDER_MAX_BREADCRUMBS   per event
  --max-rate-limit-wait-ms <n> FAULTLINE_FORWARDER_MAX_RATE_LIMIT_WAIT_MS  longest rate limit held for;
                                                                  longer ones drop (and report) the
                                                                  limited items; default 60000
  --scrub [rules]           FAULTLINE_FORWARDER_SCRUB             scrub secrets before delivery: on (the default
                                                                  rules), off, or FAULTLINE_SCRUB's grammar (email,ip);
                                                                  FAULTLINE_SCRUB_KEYS and _SAFE_FIELDS apply
  --metrics-port <port>     FAULTLINE_FORWARDER_METRICS_PORT      /metrics, /healthz, /readyz
  --concurrency <n>         FAULTLINE_FORWARDER_CONCURRENCY       partitions read at once, default 8
  --session-timeout-ms <n>  FAULTLINE_FORWARDER_SESSION_TIMEOUT_MS how long a dead instance keeps its
                                                                  partitions, default 10000
  --log-level <level>       FAULTLINE_FORWARDER_LOG_LEVEL         debug, info, warn or error; default info
  --kafka-ssl               FAULTLINE_FORWARDER_KAFKA_SSL         TLS to the brokers
  SASL: FAULTLINE_FORWARDER_KAFKA_SASL_MECHANISM, _USERNAME, _PASSWORD (environment only)
  -h, --help
Times for replay: ISO 8601 (2026-11-25T10:00:00Z) or epoch milliseconds.
`;

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
  const problems: string[] = [];
  const options = resolveOptions(parsed.values, env, problems);
  if (problems.length > 0 || !options) {
    process.stderr.write(
      `faultline-forwarder: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`,
    );
    return 2;
  }
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

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
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
      from: { type: 'string' },
      to: { type: 'string' },
      'dead-letters': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function resolveOptions(
  values: ReturnType<typeof parse>['values'],
  env: Record<string, string | undefined>,
  problems: string[],
): ForwarderOptions | undefined {
  const pick = (flag: keyof typeof values, variable: string) => {
    const value = values[flag];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    const fromEnv = env[variable];
    return fromEnv && fromEnv.trim() !== '' ? fromEnv.trim() : undefined;
  };
  const list = (text: string | undefined) =>
    (text ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const integer = (text: string | undefined, name: string, min: number) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (Number.isInteger(n) && n >= min) return n;
    problems.push(`${name}=${JSON.stringify(text)}: expected a whole number, at least ${min}`);
    return undefined;
  };

  const brokers = list(pick('brokers', 'FAULTLINE_FORWARDER_BROKERS'));
  if (brokers.length === 0)
    problems.push('FAULTLINE_FORWARDER_BROKERS (or --brokers): expected host:port pairs');
  const allowedDsns = list(pick('allowed-dsns', 'FAULTLINE_FORWARDER_ALLOWED_DSNS'));
  if (allowedDsns.length === 0) {
    problems.push(
      'FAULTLINE_FORWARDER_ALLOWED_DSNS (or --allowed-dsns): expected at least one public key or DSN',
    );
  }
  const allowedHosts = list(pick('allowed-hosts', 'FAULTLINE_FORWARDER_ALLOWED_HOSTS'));
  const logLevel = pick('log-level', 'FAULTLINE_FORWARDER_LOG_LEVEL')?.toLowerCase();
  if (logLevel !== undefined && !isLogLevel(logLevel)) {
    problems.push(
      `FAULTLINE_FORWARDER_LOG_LEVEL=${JSON.stringify(logLevel)}: expected debug, info, warn or error`,
    );
  }
  const upstream = pick('upstream', 'FAULTLINE_FORWARDER_UPSTREAM');
  if (upstream !== undefined) {
    try {
      const url = new URL(upstream);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    } catch {
      problems.push(`FAULTLINE_FORWARDER_UPSTREAM=${JSON.stringify(upstream)}: expected an http(s) URL`);
    }
  }
  const scrub = resolveScrub(pick('scrub', 'FAULTLINE_FORWARDER_SCRUB'), env, problems);
  const mechanism = env.FAULTLINE_FORWARDER_KAFKA_SASL_MECHANISM?.trim().toLowerCase();
  let sasl: ForwarderOptions['sasl'];
  if (mechanism) {
    const username = env.FAULTLINE_FORWARDER_KAFKA_SASL_USERNAME;
    const password = env.FAULTLINE_FORWARDER_KAFKA_SASL_PASSWORD;
    if (!['plain', 'scram-sha-256', 'scram-sha-512'].includes(mechanism)) {
      problems.push(
        `FAULTLINE_FORWARDER_KAFKA_SASL_MECHANISM=${JSON.stringify(mechanism)}: expected plain, scram-sha-256 or scram-sha-512`,
      );
    } else if (!username || !password) {
      problems.push('FAULTLINE_FORWARDER_KAFKA_SASL_MECHANISM: needs _USERNAME and _PASSWORD as well');
    } else {
      sasl = { mechanism, username, password } as ForwarderOptions['sasl'];
    }
  }
  const options: ForwarderOptions = {
    brokers,
    allowedDsns,
    allowedHosts,
    logLevel: logLevel !== undefined && isLogLevel(logLevel) ? logLevel : undefined,
    maxInFlight: integer(
      pick('max-in-flight', 'FAULTLINE_FORWARDER_MAX_IN_FLIGHT'),
      'FAULTLINE_FORWARDER_MAX_IN_FLIGHT',
      1,
    ),
    maxRateLimitWaitMs: integer(
      pick('max-rate-limit-wait-ms', 'FAULTLINE_FORWARDER_MAX_RATE_LIMIT_WAIT_MS'),
      'FAULTLINE_FORWARDER_MAX_RATE_LIMIT_WAIT_MS',
      1,
    ),
    sessionTimeoutMs: integer(
      pick('session-timeout-ms', 'FAULTLINE_FORWARDER_SESSION_TIMEOUT_MS'),
      'FAULTLINE_FORWARDER_SESSION_TIMEOUT_MS',
      1,
    ),
    topic: pick('topic', 'FAULTLINE_FORWARDER_TOPIC'),
    groupId: pick('group', 'FAULTLINE_FORWARDER_GROUP'),
    deadLetterTopic: pick('dead-letter-topic', 'FAULTLINE_FORWARDER_DEAD_LETTER_TOPIC'),
    upstream,
    maxEventsPerMinute: integer(
      pick('max-events-per-minute', 'FAULTLINE_FORWARDER_MAX_EVENTS_PER_MINUTE'),
      'FAULTLINE_FORWARDER_MAX_EVENTS_PER_MINUTE',
      1,
    ),
    maxBreadcrumbs: integer(
      pick('max-breadcrumbs', 'FAULTLINE_FORWARDER_MAX_BREADCRUMBS'),
      'FAULTLINE_FORWARDER_MAX_BREADCRUMBS',
      0,
    ),
    metricsPort: integer(
      pick('metrics-port', 'FAULTLINE_FORWARDER_METRICS_PORT'),
      'FAULTLINE_FORWARDER_METRICS_PORT',
      0,
    ),
    concurrency: integer(
      pick('concurrency', 'FAULTLINE_FORWARDER_CONCURRENCY'),
      'FAULTLINE_FORWARDER_CONCURRENCY',
      1,
    ),
    scrub,
    ssl:
      values['kafka-ssl'] === true ||
      ['1', 'true', 'yes', 'on'].includes((env.FAULTLINE_FORWARDER_KAFKA_SSL ?? '').toLowerCase()),
    sasl,
  };
  return problems.length > 0 ? undefined : options;
}

/** `--scrub`: off unless asked; `on` (or an empty value) is the default rules. */
function resolveScrub(
  text: string | undefined,
  env: Record<string, string | undefined>,
  problems: string[],
): ForwarderOptions['scrub'] {
  if (text === undefined) return undefined;
  const rules = parseScrubSetting(['on', 'true', '1'].includes(text.toLowerCase()) ? 'default' : text);
  if (!rules.ok) {
    problems.push(`FAULTLINE_FORWARDER_SCRUB=${JSON.stringify(text)}: expected ${rules.expected}`);
    return undefined;
  }
  const keys = (name: string) => {
    const parsed = parseKeyList(env[name] ?? '');
    if (parsed.ok) return parsed.keys;
    problems.push(`${name}: expected ${parsed.expected}`);
    return [];
  };
  if (rules.rules.length === 0) return false;
  return {
    rules: rules.rules,
    extraKeys: keys('FAULTLINE_SCRUB_KEYS'),
    safeFields: keys('FAULTLINE_SCRUB_SAFE_FIELDS'),
  };
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
