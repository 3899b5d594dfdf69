import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile as readFileAsync } from 'node:fs/promises';
import { parseBoolean, parseBrokers, parseEnum } from './parse-setting.js';
import type { SettingsReader } from './settings-reader.js';

/** TLS to the brokers, in the shape KafkaJS's `ssl` takes (a subset of `tls.ConnectionOptions`). */
export interface KafkaTls {
  /** PEM of the CA(s) that signed the brokers' certificates. @default Node's bundled roots */
  ca?: string;
  /** PEM client certificate and key, for brokers that authenticate clients by certificate (mTLS). */
  cert?: string;
  key?: string;
  passphrase?: string;
  /** The name the brokers' certificates are checked against. @default each broker's host */
  servername?: string;
  /** Verify the brokers' certificates. @default true */
  rejectUnauthorized: boolean;
}

export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512' | 'oauthbearer';

/** SASL in the shape KafkaJS's `sasl` takes. */
export type KafkaSasl =
  | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  | { mechanism: 'oauthbearer'; oauthBearerProvider: () => Promise<{ value: string }> };

/** How to reach the cluster: spread it into `new Kafka({ ...connection, logLevel })`. Holds secrets. */
export interface KafkaConnection {
  brokers: string[];
  clientId?: string;
  ssl?: boolean | KafkaTls;
  sasl?: KafkaSasl;
}

export interface ResolveKafkaConnectionOptions {
  /**
   * The component whose own variables come first (`FORWARDER` reads `FAULTLINE_FORWARDER_KAFKA_*`,
   * then `FAULTLINE_KAFKA_*`): a service that needs another identity on the same cluster.
   * @default none: only `FAULTLINE_KAFKA_*`
   */
  component?: string;
  /** A problem when no broker is named. @default false */
  requireBrokers?: boolean;
  /** Read the brokers here; false when the caller reads them its own way. @default true */
  readBrokers?: boolean;
  /** Old variables still read for one release, by setting (`{ BROKERS: 'FAULTLINE_ALERTS_BROKERS' }`). */
  deprecated?: Record<string, string>;
  /** Reads CA, certificate and key files. @default fs.readFileSync as UTF-8 */
  readFile?: (path: string) => string;
}

const MECHANISMS: readonly KafkaSaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'];
/** A token command that hangs must not hold a connection attempt for ever. */
const TOKEN_COMMAND_TIMEOUT_MS = 10_000;

/**
 * The one reader of Kafka connection settings, for the transport, the forwarder and the alerts.
 * Each setting `X` is read from `--kafka-x` (a CLI flag; `--brokers` for the brokers), then
 * `FAULTLINE_<COMPONENT>_KAFKA_X`, then `FAULTLINE_KAFKA_X`:
 *
 * - `BROKERS` host:port list; `CLIENT_ID`
 * - `SSL` (on/off), `SSL_CA_FILE`, `SSL_CERT_FILE`, `SSL_KEY_FILE`, `SSL_KEY_PASSWORD`,
 *   `SSL_SERVERNAME`, `SSL_REJECT_UNAUTHORIZED` (default on); any file turns TLS on
 * - `SASL_MECHANISM` plain, scram-sha-256, scram-sha-512 or oauthbearer; `SASL_USERNAME`,
 *   `SASL_PASSWORD`; for oauthbearer `SASL_OAUTHBEARER_TOKEN_FILE` (read at each authentication,
 *   so a rotated token is picked up) or `SASL_OAUTHBEARER_TOKEN_COMMAND` (run at each one)
 *
 * Every secret may also come from `<NAME>_FILE`. Problems go to the reader; nothing is thrown.
 */
export function resolveKafkaConnection(
  settings: SettingsReader,
  options: ResolveKafkaConnectionOptions = {},
): KafkaConnection {
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const names = (setting: string, flag?: string): string[] => {
    const list = [flag ?? `--kafka-${setting.toLowerCase().replaceAll('_', '-')}`];
    if (options.component) list.push(`FAULTLINE_${options.component}_KAFKA_${setting}`);
    list.push(`FAULTLINE_KAFKA_${setting}`);
    return list;
  };
  const text = (setting: string, flag?: string) => {
    const found = settings.text(names(setting, flag));
    const old = options.deprecated?.[setting];
    if (found || !old) return found;
    return settings.deprecated(old, names(setting, flag).slice(1).join(' or '));
  };

  const connection: KafkaConnection = { brokers: [] };
  const brokers = options.readBrokers === false ? undefined : text('BROKERS', '--brokers');
  if (brokers) {
    const parsed = parseBrokers(brokers.value);
    if (parsed.ok) connection.brokers = parsed.value;
    else settings.problem(brokers.source, JSON.stringify(brokers.value), parsed.expected);
  } else if (options.requireBrokers && options.readBrokers !== false) {
    settings.problem(
      names('BROKERS').slice(1).join(' or '),
      '(not set)',
      'host:port pairs separated by commas',
    );
  }
  const clientId = text('CLIENT_ID');
  if (clientId) connection.clientId = clientId.value;

  const file = (setting: string): string | undefined => {
    const path = text(setting);
    if (!path) return undefined;
    try {
      return readFile(path.value);
    } catch (error) {
      settings.problem(
        path.source,
        `${JSON.stringify(path.value)} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
        'the path of a readable PEM file',
      );
      return undefined;
    }
  };
  const bool = (setting: string) => settings.parse(names(setting), parseBoolean);
  const ssl = bool('SSL');
  const tls: KafkaTls = { rejectUnauthorized: bool('SSL_REJECT_UNAUTHORIZED') ?? true };
  const ca = file('SSL_CA_FILE');
  const cert = file('SSL_CERT_FILE');
  const key = file('SSL_KEY_FILE');
  const passphrase = settings.secret(names('SSL_KEY_PASSWORD'));
  const servername = text('SSL_SERVERNAME');
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  if (passphrase) tls.passphrase = passphrase.value;
  if (servername) tls.servername = servername.value;
  if ((cert === undefined) !== (key === undefined)) {
    settings.problem(
      names('SSL_CERT_FILE').slice(1).join(' / '),
      cert === undefined ? '(not set)' : '(set)',
      'a client certificate and its key together (SSL_CERT_FILE and SSL_KEY_FILE)',
    );
  }
  const tuned = Object.keys(tls).length > 1 || !tls.rejectUnauthorized;
  if (ssl === false && tuned) {
    settings.problem(
      text('SSL')?.source ?? 'FAULTLINE_KAFKA_SSL',
      'off',
      'on, or no SSL_* files and settings (they have no effect without TLS)',
    );
  } else if (ssl || tuned) {
    connection.ssl = tuned ? tls : true;
  }

  const mechanismText = text('SASL_MECHANISM');
  if (mechanismText) {
    const mechanism = parseEnum(mechanismText.value, MECHANISMS);
    if (!mechanism.ok) {
      settings.problem(mechanismText.source, JSON.stringify(mechanismText.value), mechanism.expected);
    } else if (mechanism.value === 'oauthbearer') {
      const tokenFile = text('SASL_OAUTHBEARER_TOKEN_FILE');
      const tokenCommand = text('SASL_OAUTHBEARER_TOKEN_COMMAND');
      if (!tokenFile && !tokenCommand) {
        settings.problem(
          mechanismText.source,
          'oauthbearer',
          'SASL_OAUTHBEARER_TOKEN_FILE or SASL_OAUTHBEARER_TOKEN_COMMAND as well (or an oauthBearerProvider option)',
        );
      } else {
        connection.sasl = {
          mechanism: 'oauthbearer',
          oauthBearerProvider: tokenFile
            ? async () => ({ value: (await readFileAsync(tokenFile.value, 'utf8')).trim() })
            : () => tokenFromCommand(tokenCommand?.value ?? ''),
        };
      }
    } else {
      const username = settings.secret(names('SASL_USERNAME'));
      const password = settings.secret(names('SASL_PASSWORD'));
      if (!username || !password) {
        settings.problem(
          mechanismText.source,
          mechanism.value,
          `SASL_USERNAME and SASL_PASSWORD (or _PASSWORD_FILE) as well (username ${username ? 'set' : 'missing'}, password ${password ? 'set' : 'missing'})`,
        );
      } else {
        connection.sasl = { mechanism: mechanism.value, username: username.value, password: password.value };
      }
    }
  }
  return connection;
}

/** The `--help` lines of a CLI for the Kafka connection of `component` (`FORWARDER`, `ALERTS`). */
export function kafkaConnectionHelp(component: string): string {
  return `Kafka connection: FAULTLINE_${component}_KAFKA_<X>, else FAULTLINE_KAFKA_<X>, for X in
  CLIENT_ID, SSL, SSL_CA_FILE, SSL_CERT_FILE, SSL_KEY_FILE, SSL_KEY_PASSWORD, SSL_SERVERNAME,
  SSL_REJECT_UNAUTHORIZED, SASL_MECHANISM (plain, scram-sha-256, scram-sha-512, oauthbearer),
  SASL_USERNAME, SASL_PASSWORD, SASL_OAUTHBEARER_TOKEN_FILE, SASL_OAUTHBEARER_TOKEN_COMMAND;
  every secret also as <NAME>_FILE. FAULTLINE_${component}_BROKERS is read until the next release.
`;
}

/** A short description for log lines: brokers, TLS, mechanism and user. Never a secret. */
export function describeKafkaConnection(connection: KafkaConnection): string {
  const parts = [connection.brokers.join(',') || '(no brokers)'];
  parts.push(connection.ssl ? 'TLS' : 'plaintext');
  const sasl = connection.sasl;
  if (sasl) {
    parts.push(
      sasl.mechanism === 'oauthbearer'
        ? 'SASL OAUTHBEARER'
        : `SASL ${sasl.mechanism.toUpperCase()} as ${JSON.stringify(sasl.username)}`,
    );
  }
  return parts.join(', ');
}

function tokenFromCommand(command: string): Promise<{ value: string }> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', command], { timeout: TOKEN_COMMAND_TIMEOUT_MS }, (error, stdout, stderr) => {
      const token = String(stdout).trim();
      if (error || token === '') {
        const why = String(stderr).trim().split('\n')[0] || (error ? error.message : 'no output');
        reject(new Error(`the OAUTHBEARER token command failed: ${why}`));
        return;
      }
      resolve({ value: token });
    });
  });
}
