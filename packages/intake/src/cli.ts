import { parseArgs } from 'node:util';
import {
  ConfigError,
  createJsonLinesLogger,
  createSettingsReader,
  kafkaConnectionHelp,
  parseCount,
  parseEnum,
  parseList,
  resolveKafkaConnection,
  type SettingsReader,
} from '@faultline/contract';
import { readScrubSettings } from '@faultline/scrubbing';
import { createIntake } from './create-intake.js';
import type { IntakeOptions } from './intake-options.js';
import { parseProjectQuotas, parseQuotas } from './parse-quotas.js';

const HELP = `faultline-intake: Sentry's ingest protocol over HTTP, for any SDK, into the envelope topic

Usage:
  faultline-intake [options]          serve until SIGTERM/SIGINT
Options (each also an environment variable; a flag wins over its variable):
  --dsns <list>               FAULTLINE_INTAKE_DSNS            the upstream DSN of each project served (required);
                                                               SDKs use its key and project with the intake's host
  --brokers <list>            FAULTLINE_INTAKE_KAFKA_BROKERS, else FAULTLINE_KAFKA_BROKERS  host:port,... (required)
  --topic <name>              FAULTLINE_INTAKE_TOPIC, else FAULTLINE_KAFKA_TOPIC; default sentry-envelopes
  --port <n>                  FAULTLINE_INTAKE_PORT            default 3000
  --host <address>            FAULTLINE_INTAKE_HOST            default 0.0.0.0
  --cors-origins <list>       FAULTLINE_INTAKE_CORS_ORIGINS    origins browser SDKs send from, or *; default none
  --rate-limits <quotas>      FAULTLINE_INTAKE_RATE_LIMITS     per project and minute: error=5000,transaction=20000
  --project-rate-limits <q>   FAULTLINE_INTAKE_PROJECT_RATE_LIMITS  single projects: 42:error=100;43:span=1000
  --instances <n>             FAULTLINE_INTAKE_INSTANCES       instances sharing the quotas; each enforces its share
  --max-breadcrumbs <n>       FAULTLINE_INTAKE_MAX_BREADCRUMBS default 100
  --max-body-bytes <n>        FAULTLINE_INTAKE_MAX_BODY_BYTES  request body as sent; default 1048576
  --max-envelope-bytes <n>    FAULTLINE_INTAKE_MAX_ENVELOPE_BYTES  after decompression; default 1000000
                                                               (must fit the topic's max.message.bytes)
  --max-in-flight-bytes <n>   FAULTLINE_INTAKE_MAX_IN_FLIGHT_BYTES  request bytes held at once; past it 503
                                                               with Retry-After: 1; default 67108864
  --scrub <rules|off>         FAULTLINE_INTAKE_SCRUB           default on (the default rules); "off"; or
                                                               FAULTLINE_SCRUB's grammar (email,ip).
                                                               FAULTLINE_SCRUB_KEYS and _SAFE_FIELDS apply
  --spool-dir <path>          FAULTLINE_INTAKE_SPOOL_DIR       where envelopes wait while Kafka is away
  --spool-max-bytes <n>       FAULTLINE_INTAKE_SPOOL_MAX_BYTES default 268435456; when full: 503
  --kafka-timeout-ms <n>      FAULTLINE_INTAKE_KAFKA_TIMEOUT_MS  wait for Kafka before spooling; default 5000
  --shutdown-timeout-ms <n>   FAULTLINE_INTAKE_SHUTDOWN_TIMEOUT_MS  wait for requests at stop; default 10000
  --log-level <level>         FAULTLINE_INTAKE_LOG_LEVEL       debug, info, warn or error; default info
  --kafka-ssl                 TLS to the brokers (see below)
${kafkaConnectionHelp('INTAKE')}  -h, --help
`;

/** The bin ends the process with it once `main` returns. */
export { exitAfterStop } from '@faultline/contract';

/** Parses flags and environment, serves, and returns the exit code. Never prints a secret. */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`faultline-intake: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const { options, settings } = resolveOptions(parsed.values, env);
  if (settings.problems.length > 0) {
    process.stderr.write(
      `faultline-intake: ${new ConfigError(settings.problems, 'the configuration').message}\n`,
    );
    return 2;
  }
  for (const line of settings.deprecations) process.stderr.write(`faultline-intake: ${line}\n`);
  let intake: ReturnType<typeof createIntake>;
  try {
    intake = createIntake(options);
  } catch (error) {
    process.stderr.write(`faultline-intake: invalid configuration: ${(error as Error).message}\n`);
    return 2;
  }
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  try {
    await intake.start();
  } catch (error) {
    process.stderr.write(`faultline-intake: cannot start: ${(error as Error).message}\n`);
    return 1;
  }
  await stopped;
  await intake.stop();
  return 0;
}

export function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      dsns: { type: 'string' },
      brokers: { type: 'string' },
      topic: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'cors-origins': { type: 'string' },
      'rate-limits': { type: 'string' },
      'project-rate-limits': { type: 'string' },
      instances: { type: 'string' },
      'max-breadcrumbs': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'max-envelope-bytes': { type: 'string' },
      'max-in-flight-bytes': { type: 'string' },
      scrub: { type: 'string' },
      'spool-dir': { type: 'string' },
      'spool-max-bytes': { type: 'string' },
      'kafka-timeout-ms': { type: 'string' },
      'shutdown-timeout-ms': { type: 'string' },
      'log-level': { type: 'string' },
      'kafka-ssl': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Flags over variables, through the contract's reader: the precedence every component follows. */
export function resolveOptions(
  values: ReturnType<typeof parse>['values'],
  env: Record<string, string | undefined>,
): { options: IntakeOptions; settings: SettingsReader } {
  const settings = createSettingsReader({ env, flags: values });
  const names = (flag: string, variable: string) => [`--${flag}`, `FAULTLINE_INTAKE_${variable}`];
  const text = (flag: string, variable: string) => settings.text(names(flag, variable))?.value;
  const count = (flag: string, variable: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
    settings.parse(names(flag, variable), (t) => parseCount(t, min, max));

  const connection = resolveKafkaConnection(settings, { component: 'INTAKE', requireBrokers: true });
  const dsns = parseList(text('dsns', 'DSNS') ?? '');
  if (dsns.length === 0) {
    settings.problem(
      'FAULTLINE_INTAKE_DSNS (or --dsns)',
      '(not set)',
      'the upstream DSN of at least one project',
    );
  }
  const logLevel = settings.parse(names('log-level', 'LOG_LEVEL'), (t) =>
    parseEnum(t, ['debug', 'info', 'warn', 'error'] as const),
  );
  const spoolDir = text('spool-dir', 'SPOOL_DIR');
  const spoolMaxBytes = count('spool-max-bytes', 'SPOOL_MAX_BYTES', 65_536);
  const options: IntakeOptions = {
    brokers: connection.brokers,
    clientId: connection.clientId,
    ssl: connection.ssl,
    sasl: connection.sasl as IntakeOptions['sasl'],
    dsns,
    topic: settings.text(['--topic', 'FAULTLINE_INTAKE_TOPIC', 'FAULTLINE_KAFKA_TOPIC'])?.value,
    port: count('port', 'PORT', 0, 65535),
    host: text('host', 'HOST'),
    corsOrigins: parseList(text('cors-origins', 'CORS_ORIGINS') ?? ''),
    rateLimits: settings.parse(names('rate-limits', 'RATE_LIMITS'), parseQuotas),
    projectRateLimits: settings.parse(
      names('project-rate-limits', 'PROJECT_RATE_LIMITS'),
      parseProjectQuotas,
    ),
    instances: count('instances', 'INSTANCES', 1, 10_000),
    maxBreadcrumbs: count('max-breadcrumbs', 'MAX_BREADCRUMBS', 0),
    maxBodyBytes: count('max-body-bytes', 'MAX_BODY_BYTES', 1),
    maxEnvelopeBytes: count('max-envelope-bytes', 'MAX_ENVELOPE_BYTES', 1),
    maxInFlightBytes: count('max-in-flight-bytes', 'MAX_IN_FLIGHT_BYTES', 1),
    // On by default, as Relay's managed mode scrubs server-side.
    scrub: readScrubSettings(settings, ['--scrub', 'FAULTLINE_INTAKE_SCRUB'], 'on'),
    spool: spoolDir || spoolMaxBytes ? { dir: spoolDir, maxBytes: spoolMaxBytes } : undefined,
    kafkaTimeoutMs: count('kafka-timeout-ms', 'KAFKA_TIMEOUT_MS', 1),
    shutdownTimeoutMs: count('shutdown-timeout-ms', 'SHUTDOWN_TIMEOUT_MS', 0),
    logger: createJsonLinesLogger(logLevel ?? 'info'),
    logLevel,
  };
  return { options, settings };
}
