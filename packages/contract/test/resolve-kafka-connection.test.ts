import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSettingsReader, describeKafkaConnection, resolveKafkaConnection } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-kafka-connection-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const resolve = (env: Record<string, string>, component?: string, flags = {}) => {
  const settings = createSettingsReader({ env, flags });
  return { connection: resolveKafkaConnection(settings, { component }), settings };
};

describe('resolveKafkaConnection', () => {
  it('reads brokers, TLS files and SCRAM, the component variable before the shared one', () => {
    const ca = file('ca.pem', 'CA PEM');
    const { connection, settings } = resolve(
      {
        FAULTLINE_KAFKA_BROKERS: 'a:9093, b:9093',
        FAULTLINE_KAFKA_SSL_CA_FILE: ca,
        FAULTLINE_KAFKA_SSL_SERVERNAME: 'kafka.internal',
        FAULTLINE_KAFKA_SASL_MECHANISM: 'scram-sha-512',
        FAULTLINE_KAFKA_SASL_USERNAME: 'shared',
        FAULTLINE_INTAKE_KAFKA_SASL_USERNAME: 'intake',
        FAULTLINE_KAFKA_SASL_PASSWORD: 'pw',
      },
      'INTAKE',
    );
    expect(settings.problems).toEqual([]);
    expect(connection).toEqual({
      brokers: ['a:9093', 'b:9093'],
      ssl: { ca: 'CA PEM', servername: 'kafka.internal', rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'intake', password: 'pw' },
    });
    expect(describeKafkaConnection(connection)).toBe('a:9093,b:9093, TLS, SASL SCRAM-SHA-512 as "intake"');
  });

  it('takes a flag over every variable', () => {
    const { connection } = resolve({ FAULTLINE_KAFKA_BROKERS: 'env:1' }, undefined, {
      brokers: 'flag:1',
      'kafka-ssl': true,
    });
    expect(connection).toEqual({ brokers: ['flag:1'], ssl: true });
  });

  it('gives OAUTHBEARER a token from a file, read again at each authentication', async () => {
    const token = file('token', 'first\n');
    const { connection } = resolve({
      FAULTLINE_KAFKA_BROKERS: 'a:1',
      FAULTLINE_KAFKA_SASL_MECHANISM: 'OAUTHBEARER',
      FAULTLINE_KAFKA_SASL_OAUTHBEARER_TOKEN_FILE: token,
    });
    const sasl = connection.sasl;
    if (sasl?.mechanism !== 'oauthbearer') throw new Error('expected oauthbearer');
    expect(await sasl.oauthBearerProvider()).toEqual({ value: 'first' });
    writeFileSync(token, 'rotated');
    expect(await sasl.oauthBearerProvider()).toEqual({ value: 'rotated' });
  });

  it('gives OAUTHBEARER a token from a command, and a clear error when the command fails', async () => {
    const ok = resolve({
      FAULTLINE_KAFKA_BROKERS: 'a:1',
      FAULTLINE_KAFKA_SASL_MECHANISM: 'oauthbearer',
      FAULTLINE_KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND: 'printf "%s\\n" tok-123',
    }).connection.sasl;
    if (ok?.mechanism !== 'oauthbearer') throw new Error('expected oauthbearer');
    expect(await ok.oauthBearerProvider()).toEqual({ value: 'tok-123' });
    const failing = resolve({
      FAULTLINE_KAFKA_BROKERS: 'a:1',
      FAULTLINE_KAFKA_SASL_MECHANISM: 'oauthbearer',
      FAULTLINE_KAFKA_SASL_OAUTHBEARER_TOKEN_COMMAND: 'echo "no credentials" >&2; exit 3',
    }).connection.sasl;
    if (failing?.mechanism !== 'oauthbearer') throw new Error('expected oauthbearer');
    await expect(failing.oauthBearerProvider()).rejects.toThrow(
      'the OAUTHBEARER token command failed: no credentials',
    );
  });

  it('lists every problem, never a secret', () => {
    const cert = file('cert.pem', 'CERT');
    const { settings } = resolve({
      FAULTLINE_KAFKA_BROKERS: 'no-port',
      FAULTLINE_KAFKA_SSL: 'maybe',
      FAULTLINE_KAFKA_SSL_CERT_FILE: cert,
      FAULTLINE_KAFKA_SSL_CA_FILE: '/no/such/ca.pem',
      FAULTLINE_KAFKA_SASL_MECHANISM: 'scram-sha-256',
      FAULTLINE_KAFKA_SASL_PASSWORD: 'hunter2',
    });
    expect(settings.problems.map((p) => p.source)).toEqual([
      'FAULTLINE_KAFKA_BROKERS',
      'FAULTLINE_KAFKA_SSL',
      'FAULTLINE_KAFKA_SSL_CA_FILE',
      'FAULTLINE_KAFKA_SSL_CERT_FILE',
      'FAULTLINE_KAFKA_SASL_MECHANISM',
    ]);
    expect(JSON.stringify(settings.problems)).not.toContain('hunter2');
  });

  it('refuses TLS settings with TLS turned off', () => {
    const { settings } = resolve({
      FAULTLINE_KAFKA_SSL: 'off',
      FAULTLINE_KAFKA_SSL_REJECT_UNAUTHORIZED: 'false',
    });
    expect(settings.problems).toMatchObject([{ source: 'FAULTLINE_KAFKA_SSL', value: 'off' }]);
  });
});
