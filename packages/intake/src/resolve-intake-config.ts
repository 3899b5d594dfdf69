import {
  ConfigError,
  type ConfigProblem,
  createJsonLinesLogger,
  DEFAULT_ENVELOPE_TOPIC,
  DEFAULT_SIZE_LIMITS,
  type Logger,
  type SizeLimits,
} from '@faultline/contract';
import { defaultSpoolDir } from '@faultline/spool';
import type { IntakeOptions } from './intake-options.js';
import type { CategoryQuotas } from './project-rate-limits.js';

/** The options with every default applied and checked: what `createIntake()` runs on. */
export interface IntakeConfig {
  brokers: string[];
  clientId: string;
  topic: string;
  dsns: string[];
  port: number;
  host: string;
  corsOrigins: string[];
  maxBodyBytes: number;
  maxEnvelopeBytes: number;
  maxInFlightBytes: number;
  sizeLimits: SizeLimits;
  maxBreadcrumbs: number;
  rateLimits: CategoryQuotas;
  projectRateLimits: Record<string, CategoryQuotas>;
  instances: number;
  spool: { dir: string; maxBytes: number; fsync: 'always' | 'interval' | 'never' };
  kafkaTimeoutMs: number;
  lingerMs: number;
  outcomeIntervalMs: number;
  shutdownTimeoutMs: number;
  logger: Logger;
}

/** Applies defaults and checks ranges; throws one `ConfigError` listing every problem. */
export function resolveIntakeConfig(options: IntakeOptions): IntakeConfig {
  const problems: ConfigProblem[] = [];
  const whole = (
    name: string,
    value: number | undefined,
    fallback: number,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push({
        source: `options.${name}`,
        value: String(value),
        expected: `a whole number from ${min} to ${max}`,
      });
      return fallback;
    }
    return value;
  };
  const quotas = (source: string, map: CategoryQuotas | undefined): CategoryQuotas => {
    for (const [category, quota] of Object.entries(map ?? {})) {
      if (!Number.isInteger(quota) || quota < 0) {
        problems.push({
          source: `${source}.${category}`,
          value: String(quota),
          expected: 'a whole number of 0 or more per minute',
        });
      }
    }
    return map ?? {};
  };
  if (!Array.isArray(options.brokers) || options.brokers.length === 0) {
    problems.push({
      source: 'options.brokers',
      value: '(not set)',
      expected: 'host:port of at least one broker',
    });
  }
  if (!Array.isArray(options.dsns) || options.dsns.length === 0) {
    problems.push({
      source: 'options.dsns',
      value: '(not set)',
      expected: 'the upstream DSN of at least one project',
    });
  }
  const port = whole('port', options.port, 3000, 0, 65535);
  const projectRateLimits: Record<string, CategoryQuotas> = {};
  for (const [project, map] of Object.entries(options.projectRateLimits ?? {})) {
    if (!/^\d+$/.test(project)) {
      problems.push({
        source: 'options.projectRateLimits',
        value: project,
        expected: 'project ids (digits) as keys',
      });
    }
    projectRateLimits[project] = quotas(`options.projectRateLimits.${project}`, map);
  }
  const config: IntakeConfig = {
    brokers: options.brokers ?? [],
    clientId: options.clientId ?? 'faultline-intake',
    topic: options.topic ?? DEFAULT_ENVELOPE_TOPIC,
    dsns: options.dsns ?? [],
    port,
    host: options.host ?? '0.0.0.0',
    corsOrigins: options.corsOrigins ?? [],
    maxBodyBytes: whole('maxBodyBytes', options.maxBodyBytes, 1024 * 1024, 1),
    maxEnvelopeBytes: whole('maxEnvelopeBytes', options.maxEnvelopeBytes, 1_000_000, 1),
    maxInFlightBytes: whole('maxInFlightBytes', options.maxInFlightBytes, 64 * 1024 * 1024, 1),
    sizeLimits: { ...DEFAULT_SIZE_LIMITS, ...options.sizeLimits },
    maxBreadcrumbs: whole('maxBreadcrumbs', options.maxBreadcrumbs, 100, 0),
    rateLimits: quotas('options.rateLimits', options.rateLimits),
    projectRateLimits,
    instances: whole('instances', options.instances, 1, 1, 10_000),
    spool: {
      dir: options.spool?.dir ?? defaultSpoolDir(`intake-${port}`),
      maxBytes: whole('spool.maxBytes', options.spool?.maxBytes, 256 * 1024 * 1024, 64 * 1024),
      fsync: options.spool?.fsync ?? 'interval',
    },
    kafkaTimeoutMs: whole('kafkaTimeoutMs', options.kafkaTimeoutMs, 5000, 1),
    lingerMs: whole('lingerMs', options.lingerMs, 2, 0, 1000),
    outcomeIntervalMs: whole('outcomeIntervalMs', options.outcomeIntervalMs, 10_000, 1),
    shutdownTimeoutMs: whole('shutdownTimeoutMs', options.shutdownTimeoutMs, 10_000, 0),
    logger: options.logger ?? createJsonLinesLogger(options.logLevel ?? 'info'),
  };
  if (problems.length > 0) throw new ConfigError(problems, 'the intake options');
  return config;
}
