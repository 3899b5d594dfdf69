import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  ConfigError,
  type ConfigProblem,
  type Parsed,
  parseBoolean,
  parseBrokers,
  parseCount,
  parseDsn,
  parseMillis,
  parseName,
  parseRate,
  redactDsn,
} from '@faultline/contract';
import {
  DEFAULT_RULES,
  OPT_IN_RULES,
  parseKeyList,
  parseScrubSetting,
  type ScrubOptions,
  type StringRuleName,
} from '@faultline/scrubbing';
import { type AppInfo, detectApp } from './detect-app.js';
import { detectCommit } from './detect-commit.js';
import type { FaultlineOptions, TransportKind } from './options.js';
import { type ResolvedKafka, resolveKafka } from './resolve-kafka.js';
import { type ResolvedSampling, resolveSampling } from './resolve-sampling.js';
import { collectRuntimeContext, type RuntimeContext } from './runtime-context.js';
import { unknownOptionProblems } from './unknown-options.js';

/** The configuration Faultline runs with, after options, environment and detection. */
export interface ResolvedConfig {
  /** False when no DSN is set: Faultline stays off. */
  enabled: boolean;
  dsn: string | undefined;
  /** Where the DSN came from, for messages that must not show it. */
  dsnSource: 'options.dsn' | 'SENTRY_DSN' | 'SENTRY_DSN_FILE' | undefined;
  service: string;
  release: string | undefined;
  environment: string;
  transport: TransportKind;
  kafkaBrokers: string[];
  /** The Kafka transport's settings (used when `transport` is `kafka`). */
  kafka: ResolvedKafka;
  tracesSampleRate: number | undefined;
  debug: boolean;
  shutdownTimeoutMs: number;
  /** What is scrubbed before an envelope leaves the process; `false`: nothing. */
  scrub: Required<ScrubOptions> | false;
  /** Events the SDK processes at once (its `transportOptions.bufferSize`). */
  maxPendingEvents: number;
  handleSignals: boolean;
  /** Who makes KafkaJS spans (see `FaultlineOptions.kafkajsInstrumentation`). */
  kafkajsInstrumentation: 'faultline' | 'sentry';
  sampling: ResolvedSampling;
  runtime: RuntimeContext;
}

/** What `resolveConfig()` reads besides the options; each defaults to the real process. */
export interface ConfigSources {
  /** @default process.env */
  env?: Record<string, string | undefined>;
  /** Reads a text file (the DSN file, /proc/self/cgroup). @default fs.readFileSync(path, 'utf8') */
  readFile?: (path: string) => string;
  /** The app's package.json facts. @default detectApp() */
  app?: AppInfo | undefined;
  /** @default os.hostname() */
  hostname?: string;
  /** The release a Sentry bundler plugin injected. @default globalThis.SENTRY_RELEASE?.id */
  injectedRelease?: string | undefined;
}

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 2000;
export const DEFAULT_MAX_PENDING_EVENTS = 5000;
const UNKNOWN_SERVICE = 'unknown_service:node';

/**
 * Resolves and validates every setting at once: options win over environment variables
 * (except release and environment, where the deploy's variable wins), then defaults and
 * detection fill the rest. Throws one `ConfigError` listing every problem. No side effects
 * beyond reading its sources, so it is testable without Sentry.
 */
export function resolveConfig(options: FaultlineOptions = {}, sources: ConfigSources = {}): ResolvedConfig {
  const env = sources.env ?? process.env;
  const readFile = sources.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const app = 'app' in sources ? sources.app : detectApp();
  const problems: ConfigProblem[] = [];

  // An empty variable counts as unset: manifests often declare a variable with no value.
  const fromEnv = (name: string) => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  };

  /** Validates an option if given, else its variable; returns the fallback when neither is set. */
  function pick<T>(
    option: { name: string; value: unknown } | undefined,
    variable: string | undefined,
    parse: (raw: unknown) => Parsed<T>,
    fallback: T,
  ): T {
    if (option && option.value !== undefined) {
      const parsed = parse(option.value);
      if (parsed.ok) return parsed.value;
      problems.push({
        source: `options.${option.name}`,
        value: show(option.value),
        expected: parsed.expected,
      });
      return fallback;
    }
    const raw = variable ? fromEnv(variable) : undefined;
    if (raw !== undefined && variable) {
      const parsed = parse(raw);
      if (parsed.ok) return parsed.value;
      problems.push({ source: variable, value: show(raw), expected: parsed.expected });
    }
    return fallback;
  }

  problems.push(...unknownOptionProblems(options));
  const { dsn, dsnSource } = resolveDsn(options, fromEnv, readFile, problems);

  // OpenTelemetry's variable comes after Faultline's own, then the package name.
  const otelService = pick<string | undefined>(
    undefined,
    'OTEL_SERVICE_NAME',
    (v) => parseName(String(v), 200, true, 'a service name'),
    undefined,
  );
  const service = pick(
    { name: 'service', value: options.service },
    'FAULTLINE_SERVICE',
    (v) => parseName(String(v), 200, true, 'a service name'),
    otelService ?? app?.name ?? UNKNOWN_SERVICE,
  );

  // Release and environment: the deploy's variable first (see FaultlineOptions.release).
  const releaseVariable = fromEnv('SENTRY_RELEASE') !== undefined;
  const release = pick(
    releaseVariable ? undefined : { name: 'release', value: options.release },
    'SENTRY_RELEASE',
    (v) => parseName(String(v), 200, false, 'a release'),
    injectedRelease(sources) ??
      (service === UNKNOWN_SERVICE ? undefined : defaultRelease(service, app?.version, detectCommit(env))),
  );
  const environmentVariable = fromEnv('SENTRY_ENVIRONMENT') !== undefined;
  const environment = pick(
    environmentVariable ? undefined : { name: 'environment', value: options.environment },
    'SENTRY_ENVIRONMENT',
    (v) => parseName(String(v), 64, false, 'an environment'),
    defaultEnvironment(fromEnv('NODE_ENV')),
  );

  const kafkaBrokers = pick<string[]>(
    { name: 'kafkaBrokers', value: options.kafkaBrokers },
    'FAULTLINE_KAFKA_BROKERS',
    (v) => (Array.isArray(v) || typeof v === 'string' ? parseBrokers(v) : parseBrokers('')),
    [],
  );
  const transport = pick<TransportKind>(
    { name: 'transport', value: options.transport },
    'FAULTLINE_TRANSPORT',
    parseTransport,
    kafkaBrokers.length > 0 ? 'kafka' : 'http',
  );
  if (transport === 'kafka' && kafkaBrokers.length === 0) {
    problems.push({
      source: options.transport !== undefined ? 'options.transport' : 'FAULTLINE_TRANSPORT',
      value: 'kafka',
      expected: 'brokers for the kafka transport: set FAULTLINE_KAFKA_BROKERS or options.kafkaBrokers',
    });
  }

  const tracesSampleRate = pick<number | undefined>(
    { name: 'tracesSampleRate', value: options.tracesSampleRate },
    'SENTRY_TRACES_SAMPLE_RATE',
    (v) => (typeof v === 'number' || typeof v === 'string' ? parseRate(v) : parseRate(Number.NaN)),
    undefined,
  );
  const debug = pick(
    { name: 'debug', value: options.debug },
    'SENTRY_DEBUG',
    (v) => (typeof v === 'boolean' ? { ok: true, value: v } : parseBoolean(String(v))),
    false,
  );
  const shutdownTimeoutMs = pick(
    { name: 'shutdownTimeoutMs', value: options.shutdownTimeoutMs },
    'FAULTLINE_SHUTDOWN_TIMEOUT_MS',
    (v) => parseMillis(typeof v === 'number' ? v : String(v), 0, 60_000),
    DEFAULT_SHUTDOWN_TIMEOUT_MS,
  );
  const scrubOption = options.scrub === false ? undefined : options.scrub;
  const scrubRules = pick<StringRuleName[]>(
    options.scrub === false
      ? { name: 'scrub', value: 'off' }
      : { name: 'scrub.rules', value: scrubOption?.rules },
    'FAULTLINE_SCRUB',
    (v) => {
      // A list is the rules exactly; text is the FAULTLINE_SCRUB grammar.
      return Array.isArray(v)
        ? v.every((name) => [...DEFAULT_RULES, ...OPT_IN_RULES].includes(name))
          ? { ok: true as const, value: v as StringRuleName[] }
          : { ok: false as const, expected: `rule names: ${[...DEFAULT_RULES, ...OPT_IN_RULES].join(', ')}` }
        : parseScrubSetting(String(v));
    },
    [...DEFAULT_RULES],
  );
  const keyList = (v: unknown) => parseKeyList(Array.isArray(v) ? v.join(',') : String(v));
  const scrubKeys = pick<string[]>(
    { name: 'scrub.extraKeys', value: scrubOption?.extraKeys },
    'FAULTLINE_SCRUB_KEYS',
    keyList,
    [],
  );
  const safeFields = pick<string[]>(
    { name: 'scrub.safeFields', value: scrubOption?.safeFields },
    'FAULTLINE_SCRUB_SAFE_FIELDS',
    keyList,
    [],
  );
  const scrub: ResolvedConfig['scrub'] =
    scrubRules.length === 0 ? false : { rules: scrubRules, extraKeys: scrubKeys, safeFields };

  const maxPendingEvents = pick(
    { name: 'maxPendingEvents', value: options.maxPendingEvents },
    'FAULTLINE_MAX_PENDING_EVENTS',
    (v) => parseCount(typeof v === 'number' ? v : String(v), 1, 100_000),
    DEFAULT_MAX_PENDING_EVENTS,
  );
  const handleSignals = pick(
    { name: 'handleSignals', value: options.handleSignals },
    'FAULTLINE_HANDLE_SIGNALS',
    (v) => (typeof v === 'boolean' ? { ok: true, value: v } : parseBoolean(String(v))),
    true,
  );
  const kafkajsInstrumentation = pick<'faultline' | 'sentry'>(
    { name: 'kafkajsInstrumentation', value: options.kafkajsInstrumentation },
    'FAULTLINE_KAFKAJS_INSTRUMENTATION',
    (v) =>
      v === 'faultline' || v === 'sentry'
        ? { ok: true, value: v }
        : { ok: false, expected: 'faultline or sentry' },
    'faultline',
  );

  const sampling = resolveSampling(options.sampling, env, tracesSampleRate, problems);
  const kafka = resolveKafka(options, fromEnv, env, readFile, service, problems);

  if (problems.length > 0) throw new ConfigError(problems);

  return {
    enabled: dsn !== undefined,
    dsn,
    dsnSource,
    service,
    release,
    environment,
    transport,
    kafkaBrokers,
    kafka,
    tracesSampleRate,
    debug,
    shutdownTimeoutMs,
    scrub,
    maxPendingEvents,
    handleSignals,
    kafkajsInstrumentation,
    sampling,
    runtime: collectRuntimeContext(env, sources.hostname ?? hostname(), readFile),
  };
}

function resolveDsn(
  options: FaultlineOptions,
  fromEnv: (name: string) => string | undefined,
  readFile: (path: string) => string,
  problems: ConfigProblem[],
): Pick<ResolvedConfig, 'dsn' | 'dsnSource'> {
  const expected = 'a DSN like https://<public key>@<host>/<project id>';
  const check = (dsn: string, source: NonNullable<ResolvedConfig['dsnSource']>) => {
    if (parseDsn(dsn)) return { dsn, dsnSource: source };
    problems.push({ source, value: redactDsn(dsn), expected });
    return { dsn: undefined, dsnSource: undefined };
  };

  if (options.dsn !== undefined && options.dsn !== '') {
    if (typeof options.dsn !== 'string') {
      problems.push({ source: 'options.dsn', value: `<a ${typeof options.dsn}>`, expected });
      return { dsn: undefined, dsnSource: undefined };
    }
    return check(options.dsn.trim(), 'options.dsn');
  }
  const fromVariable = fromEnv('SENTRY_DSN');
  const file = fromEnv('SENTRY_DSN_FILE');
  if (fromVariable !== undefined && file !== undefined) {
    problems.push({
      source: 'SENTRY_DSN_FILE',
      value: JSON.stringify(file),
      expected: 'only one of SENTRY_DSN and SENTRY_DSN_FILE to be set',
    });
    return { dsn: undefined, dsnSource: undefined };
  }
  if (fromVariable !== undefined) return check(fromVariable.trim(), 'SENTRY_DSN');
  if (file !== undefined) {
    let content: string;
    try {
      content = readFile(file).trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      problems.push({
        source: 'SENTRY_DSN_FILE',
        value: `${JSON.stringify(file)} (${code})`,
        expected: 'the path of a readable file holding the DSN',
      });
      return { dsn: undefined, dsnSource: undefined };
    }
    return check(content, 'SENTRY_DSN_FILE');
  }
  return { dsn: undefined, dsnSource: undefined };
}

/**
 * `<service>@<version>[+<commit>]`, or undefined without a version. Sentry forbids slashes in
 * releases, so a scoped name `@acme/orders` becomes `acme-orders`.
 */
/** What Sentry's bundler plugins inject into the bundle: source maps are uploaded under it. */
function injectedRelease(sources: ConfigSources): string | undefined {
  if ('injectedRelease' in sources) return sources.injectedRelease;
  const injected = (globalThis as { SENTRY_RELEASE?: { id?: unknown } }).SENTRY_RELEASE?.id;
  return typeof injected === 'string' && injected.trim() !== '' ? injected : undefined;
}

export function defaultRelease(
  service: string,
  version: string | undefined,
  commit: string | undefined,
): string | undefined {
  if (!version) return undefined;
  const name = service.replace(/^@/, '').replace(/\//g, '-');
  return commit ? `${name}@${version}+${commit}` : `${name}@${version}`;
}

function defaultEnvironment(nodeEnv: string | undefined): string {
  const parsed = nodeEnv ? parseName(nodeEnv, 64, false, '') : undefined;
  return parsed?.ok ? parsed.value : 'production';
}

function parseTransport(value: unknown): Parsed<TransportKind> {
  const text = String(value).trim().toLowerCase();
  if (text === 'http' || text === 'kafka') return { ok: true, value: text };
  return { ok: false, expected: 'http or kafka' };
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}
