import {
  type ConfigProblem,
  createSettingsReader,
  DEFAULT_ENVELOPE_TOPIC,
  type KafkaSasl,
  type KafkaTls,
  resolveKafkaConnection,
} from '@faultline/contract';
import { defaultSpoolDir } from '@faultline/spool';
import type { FaultlineOptions } from './options.js';

/** The Kafka transport's settings, resolved. Credentials are here: never log this object. */
export interface ResolvedKafka {
  topic: string;
  clientId: string;
  ssl: boolean | KafkaTls;
  sasl: KafkaSasl | undefined;
  /** The disk buffer, or false for none. */
  spool: { dir: string; maxBytes: number } | false;
}

const DEFAULT_SPOOL_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Reads the Kafka transport's options and variables (`FAULTLINE_KAFKA_TOPIC`, `_CLIENT_ID`,
 * `_SSL*`, `_SASL_*` through the contract's one connection resolver, `FAULTLINE_SPOOL_DIR`,
 * `FAULTLINE_SPOOL_MAX_BYTES`), options winning. A secret is never shown in a problem.
 */
export function resolveKafka(
  options: FaultlineOptions,
  fromEnv: (name: string) => string | undefined,
  env: Record<string, string | undefined>,
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

  // TLS and SASL as the forwarder and the alerts read them (FAULTLINE_KAFKA_SSL_*, _SASL_*);
  // an option replaces its variables.
  const settings = createSettingsReader({ env, readFile });
  const connection = resolveKafkaConnection(settings, { readBrokers: false, readFile });
  problems.push(...settings.problems);
  const ssl = kafka.ssl ?? connection.ssl ?? false;
  const sasl = kafka.sasl ?? connection.sasl;
  const clientId = kafka.clientId ?? connection.clientId ?? service.replace(/[^\w.-]/g, '_');

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
  return { topic, clientId, ssl, sasl, spool };
}
