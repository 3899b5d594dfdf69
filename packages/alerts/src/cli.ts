import { parseArgs } from 'node:util';
import { isLogLevel, kafkaConnectionHelp, parseList } from '@faultline/contract';
import type { AlertsOptions } from './alerts-options.js';
import { createAlertsService } from './create-alerts-service.js';
import { startHealthServer } from './health-server.js';
import { AlertsConfigError } from './resolve-alerts-config.js';

const HELP = `faultline-alerts: the seed's alert rules on the envelope topic, on true volume

Usage: faultline-alerts [options]
A flag wins over its variable, a variable over the rule file.
  --brokers <list>     FAULTLINE_ALERTS_KAFKA_BROKERS, else FAULTLINE_KAFKA_BROKERS
                                                         host:port,host:port (required)
  --topic <name>       FAULTLINE_ALERTS_TOPIC, else FAULTLINE_KAFKA_TOPIC; default sentry-envelopes
  --group <id>         FAULTLINE_ALERTS_GROUP            default faultline-alerts
  --rules <file>       FAULTLINE_ALERTS_RULES_FILE       YAML or JSON: rules, routes, channels
  --projects <ids>     FAULTLINE_ALERTS_PROJECTS         project ids counted (others skipped);
                                                         default every project, with a warning
  --dry-run            FAULTLINE_ALERTS_DRY_RUN          print what would be sent, send nothing
  --health-port <port> FAULTLINE_ALERTS_HEALTH_PORT      /healthz and /readyz for probes; default off
  --log-level <level>  FAULTLINE_ALERTS_LOG_LEVEL        debug, info, warn or error; default info
  --kafka-ssl          TLS to the brokers (see below)
${kafkaConnectionHelp('ALERTS')}Channels (environment only; never logged):
  FAULTLINE_ALERTS_SLACK_WEBHOOK_URL, FAULTLINE_ALERTS_PAGERDUTY_ROUTING_KEY,
  FAULTLINE_ALERTS_OPSGENIE_API_KEY (FAULTLINE_ALERTS_OPSGENIE_URL for the EU API),
  FAULTLINE_ALERTS_WEBHOOK_URL
  Through an HTTP proxy: HTTPS_PROXY, HTTP_PROXY and NO_PROXY, or FAULTLINE_ALERTS_PROXY (a URL, or off)
Thresholds: FAULTLINE_ALERTS_SPIKE_INCREASE_PERCENT (200), _SPIKE_BASELINE_MINUTES (5),
  _SPIKE_MIN_PER_MINUTE (10), _REGRESSION_NEW_ISSUES (5), _REGRESSION_WINDOW_MINUTES (60),
  _DEGRADATION_FACTOR (2), _DEGRADATION_MINUTES (3), _DEGRADATION_PERCENTILE (95);
  FAULTLINE_ALERTS_SPIKE=off (and _REGRESSION, _DEGRADATION) turns a rule off.
`;

/** The bin ends the process with it once `main` returns. */
export { exitAfterStop } from '@faultline/contract';

/** Parses arguments and environment, runs until SIGTERM/SIGINT, and returns the exit code. */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        brokers: { type: 'string' },
        topic: { type: 'string' },
        group: { type: 'string' },
        rules: { type: 'string' },
        projects: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'kafka-ssl': { type: 'boolean' },
        'health-port': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`faultline-alerts: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  // Flags are options: they win over variables, as in every Faultline component.
  const text = (name: string) =>
    typeof values[name] === 'string' && values[name] !== '' ? (values[name] as string) : undefined;
  const list = (name: string) => (text(name) === undefined ? undefined : parseList(text(name) ?? ''));
  const fromFlags: Partial<AlertsOptions> = {
    ...(list('brokers') ? { brokers: list('brokers') } : {}),
    ...(text('topic') ? { topic: text('topic') } : {}),
    ...(text('group') ? { groupId: text('group') } : {}),
    ...(list('projects') ? { projects: list('projects') } : {}),
    ...(values['dry-run'] ? { dryRun: true } : {}),
    ...(values['kafka-ssl'] ? { ssl: true } : {}),
  };
  const merged = { ...env };
  if (text('rules')) merged.FAULTLINE_ALERTS_RULES_FILE = text('rules');
  const logLevel = (
    typeof values['log-level'] === 'string' ? values['log-level'] : env.FAULTLINE_ALERTS_LOG_LEVEL
  )?.toLowerCase();
  if (logLevel !== undefined && !isLogLevel(logLevel)) {
    process.stderr.write(
      `faultline-alerts: FAULTLINE_ALERTS_LOG_LEVEL=${JSON.stringify(logLevel)}: expected debug, info, warn or error\n`,
    );
    return 2;
  }
  const portText =
    typeof values['health-port'] === 'string' ? values['health-port'] : env.FAULTLINE_ALERTS_HEALTH_PORT;
  const healthPort = portText === undefined || portText === '' ? undefined : Number(portText);
  if (healthPort !== undefined && !(Number.isInteger(healthPort) && healthPort >= 0 && healthPort <= 65535)) {
    process.stderr.write(
      `faultline-alerts: FAULTLINE_ALERTS_HEALTH_PORT=${JSON.stringify(portText)}: expected a port, 0 to 65535\n`,
    );
    return 2;
  }
  let service: ReturnType<typeof createAlertsService>;
  try {
    service = createAlertsService({ ...fromFlags, logLevel: logLevel as 'info' | undefined }, merged);
  } catch (error) {
    if (error instanceof AlertsConfigError) {
      process.stderr.write(`faultline-alerts: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve());
  });
  // Up before start() resolves: a liveness probe must not kill an instance still joining.
  let joined = false;
  const health =
    healthPort === undefined
      ? undefined
      : await startHealthServer(
          healthPort,
          () => joined && (!service.stats.active || service.stats.caughtUp),
        );
  // A signal while start() still waits for Kafka ends the wait: start() then resolves, not joined.
  const stopping = stopped.then(() => service.stop());
  try {
    await service.start();
    joined = true;
  } catch (error) {
    process.stderr.write(`faultline-alerts: could not start: ${(error as Error).message}\n`);
    await service.stop();
    await health?.close();
    return 1;
  }
  await stopped;
  joined = false;
  await stopping;
  await health?.close();
  return 0;
}
