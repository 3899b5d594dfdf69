import type { ConfigProblem } from '@faultline/contract';
import type { FaultlineOptions } from './options.js';

/** Every top-level key of FaultlineOptions: the compiler checks this list against the type. */
const KNOWN: Record<keyof FaultlineOptions, true> = {
  dsn: true,
  service: true,
  release: true,
  environment: true,
  transport: true,
  kafkaBrokers: true,
  tracesSampleRate: true,
  debug: true,
  shutdownTimeoutMs: true,
  scrub: true,
  maxPendingEvents: true,
  logger: true,
  handleSignals: true,
  kafka: true,
  spool: true,
  kafkajsInstrumentation: true,
  sampling: true,
  sentry: true,
};

/** Where a misplaced key belongs, for the keys people carry over from other setups. */
const MOVED: Record<string, string> = {
  brokers: 'kafkaBrokers',
  topic: 'kafka.topic',
  ssl: 'kafka.ssl',
  sasl: 'kafka.sasl',
  clientId: 'kafka.clientId',
  tracesSampler: 'sentry.tracesSampler (Faultline installs its own: see traceRules)',
  sampleRate: 'sampling.errors (the error policy) or sentry.sampleRate',
  errors: 'sampling.errors',
  traceRules: 'sampling.traceRules',
  tracesTargetPerMinute: 'sampling.tracesTargetPerMinute',
  healthCheckRate: 'sampling.healthCheckRate',
  backpressure: 'sampling.backpressure',
};

/**
 * A key `initObservability()` does not know is an error, not a silent no-op: most are
 * `Sentry.init` options written at the top level (`integrations`, `beforeSend`), which Faultline
 * reads under `sentry:`. The problem says where the key belongs.
 */
export function unknownOptionProblems(options: FaultlineOptions): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const key of Object.keys(options)) {
    if (key in KNOWN) continue;
    const home = MOVED[key] ?? `sentry.${key}`;
    problems.push({
      source: `options.${key}`,
      value: '(set)',
      expected: `no such option at the top level: it belongs under ${home}${MOVED[key] ? '' : ' (Sentry.init options go under sentry:)'}`,
    });
  }
  return problems;
}
