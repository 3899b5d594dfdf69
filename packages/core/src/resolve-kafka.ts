import { DEFAULT_ENVELOPE_TOPIC } from '@faultline/contract';
import { defaultSpoolDir } from '@faultline/spool';
import type { ConfigProblem } from './config-error.js';
import type { FaultlineOptions } from './options.js';
import { parseBoolean } from './parse-env-value.js';

/** The Kafka transport's settings, resolved. Credentials are here: never log this object. */
export interface ResolvedKafka {
  topic: string;
  clientId: string;
  ssl: boolean;
  sasl:
    | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
    | undefined;
  /** The disk buffer, or false for none. */
  spool: { dir: string; maxBytes: number } | false;
}

const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
const DEFAULT_SPOOL_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Reads the Kafka transport's options and variables (`FAULTLINE_KAFKA_TOPIC`, `_SSL`, `_SASL_*`,
 * `FAULTLINE_SPOOL_DIR`, `FAULTLINE_SPOOL_MAX_BYTES`), options winning. A SASL password is
 * never shown in a problem, only whether it was set.
 */
export function resolveKafka(
  options: FaultlineOptions,
  fromEnv: (name: string) => string | undefined,
  readFile: (path: string) => string,
  service: string,
  problems: ConfigProblem[],
): ResolvedKafka {
  const kafka = options.kafka ?? {};
  const topic = kafka.topic ?? fromEnv('FAULTLINE_KAFKA_TOPIC') ?? DEFAULT_ENVELOPE_TOPIC;
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) {
    problems.push({
      source: kafka.topic !== undefined ? 'options.kafka.topic' : 'FAULTLINE_KAFKA_TOPIC',
      value: JSON.stringify(topic),
      expected: 'a Kafka topic name: 1 to 249 of letters, digits, ".", "_" and "-"',
    });
  }

  let ssl = kafka.ssl ?? false;
  const sslText = fromEnv('FAULTLINE_KAFKA_SSL');
  if (kafka.ssl === undefined && sslText !== undefined) {
    const parsed = parseBoolean(sslText);
    if (parsed.ok) ssl = parsed.value;
    else
      problems.push({
        source: 'FAULTLINE_KAFKA_SSL',
        value: JSON.stringify(sslText),
        expected: parsed.expected,
      });
  }

  let sasl: ResolvedKafka['sasl'];
  if (kafka.sasl) {
    sasl = kafka.sasl;
  } else {
    const mechanism = fromEnv('FAULTLINE_KAFKA_SASL_MECHANISM')?.trim().toLowerCase();
    const username = fromEnv('FAULTLINE_KAFKA_SASL_USERNAME');
    let password = fromEnv('FAULTLINE_KAFKA_SASL_PASSWORD');
    const passwordFile = fromEnv('FAULTLINE_KAFKA_SASL_PASSWORD_FILE');
    if (password === undefined && passwordFile !== undefined) {
      try {
        password = readFile(passwordFile).trim();
      } catch (error) {
        problems.push({
          source: 'FAULTLINE_KAFKA_SASL_PASSWORD_FILE',
          value: `${JSON.stringify(passwordFile)} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
          expected: 'the path of a readable file holding the password',
        });
      }
    }
    if (mechanism !== undefined) {
      if (!(MECHANISMS as readonly string[]).includes(mechanism)) {
        problems.push({
          source: 'FAULTLINE_KAFKA_SASL_MECHANISM',
          value: JSON.stringify(mechanism),
          expected: MECHANISMS.join(', '),
        });
      } else if (!username || !password) {
        problems.push({
          source: 'FAULTLINE_KAFKA_SASL_MECHANISM',
          value: JSON.stringify(mechanism),
          expected: `FAULTLINE_KAFKA_SASL_USERNAME and FAULTLINE_KAFKA_SASL_PASSWORD (or _PASSWORD_FILE) as well (username ${username ? 'set' : 'missing'}, password ${password ? 'set' : 'missing'})`,
        });
      } else {
        sasl = { mechanism: mechanism as (typeof MECHANISMS)[number], username, password };
      }
    }
  }

  let spool: ResolvedKafka['spool'] = false;
  const spoolSetting = options.spool === undefined ? fromEnv('FAULTLINE_SPOOL') : undefined;
  if (spoolSetting !== undefined && !['on', 'off'].includes(spoolSetting.trim().toLowerCase())) {
    problems.push({
      source: 'FAULTLINE_SPOOL',
      value: JSON.stringify(spoolSetting),
      expected: 'on or off (off: no disk buffer; envelopes are dropped, counted, while Kafka is away)',
    });
  }
  if (options.spool !== false && spoolSetting?.trim().toLowerCase() !== 'off') {
    const dir = options.spool?.dir ?? fromEnv('FAULTLINE_SPOOL_DIR') ?? defaultSpoolDir(service);
    let maxBytes = options.spool?.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    const maxText = options.spool?.maxBytes === undefined ? fromEnv('FAULTLINE_SPOOL_MAX_BYTES') : undefined;
    if (maxText !== undefined) {
      const value = Number(maxText);
      if (Number.isInteger(value) && value >= 1024 * 1024) maxBytes = value;
      else {
        problems.push({
          source: 'FAULTLINE_SPOOL_MAX_BYTES',
          value: JSON.stringify(maxText),
          expected: 'a whole number of bytes, at least 1048576 (1 MiB)',
        });
      }
    }
    spool = { dir, maxBytes };
  }
  return { topic, clientId: service.replace(/[^\w.-]/g, '_'), ssl, sasl, spool };
}
