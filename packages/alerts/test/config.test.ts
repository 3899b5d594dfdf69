import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { AlertsConfigError, createAlertNotifier, resolveAlertsConfig } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-alerts-config-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const ENV = {
  FAULTLINE_KAFKA_BROKERS: 'kafka:9092',
  FAULTLINE_ALERTS_WEBHOOK_URL: 'https://hooks.example/abc',
};

describe('alerts configuration', () => {
  it("defaults to the seed's rules and routes, each rule also to the webhook when there is one", () => {
    const config = resolveAlertsConfig({}, { ...ENV, FAULTLINE_ALERTS_PAGERDUTY_ROUTING_KEY: 'key' });
    expect(config.rules).toEqual({ spike: {}, regression: {}, degradation: {} });
    expect(config.routes).toEqual({
      spike: ['pagerduty', 'webhook'],
      regression: ['webhook'],
      degradation: ['webhook'],
    });
    expect(config.topic).toBe('sentry-envelopes');
    expect(config.stateTopic).toBe('sentry-envelopes.alerts-state');
  });

  it('reads a YAML rule file, and variables override it', () => {
    const rules = file(
      'rules.yaml',
      `rules:
  spike: { increasePercent: 300, baselineMinutes: 10 }
  regression: false
routes:
  spike: [webhook]
`,
    );
    const config = resolveAlertsConfig(
      {},
      { ...ENV, FAULTLINE_ALERTS_RULES_FILE: rules, FAULTLINE_ALERTS_SPIKE_BASELINE_MINUTES: '15' },
    );
    expect(config.rules.spike).toEqual({ increasePercent: 300, baselineMinutes: 15 });
    expect(config.rules.regression).toBe(false);
    expect(config.routes.spike).toEqual(['webhook']);
  });

  it('lists every problem at once, and never echoes a webhook URL', () => {
    const rules = file(
      'bad.json',
      JSON.stringify({
        rules: { spike: { increasePercent: -5, bogus: 1 }, outage: {} },
        routes: { degradation: ['pagerduty', 'email'] },
        extra: true,
      }),
    );
    let error: unknown;
    try {
      resolveAlertsConfig(
        {},
        {
          FAULTLINE_ALERTS_RULES_FILE: rules,
          FAULTLINE_ALERTS_DEGRADATION_FACTOR: 'fast',
          FAULTLINE_ALERTS_SLACK_WEBHOOK_URL: 'not-a-url/T0/B0/SECRETPATH',
        },
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AlertsConfigError);
    const problems = (error as AlertsConfigError).problems;
    expect(problems).toEqual([
      'rule file: unknown key "extra" (expected rules, routes, channels, dryRun, lookbackMinutes)',
      'rule file: rules.outage is not a rule (spike, regression, degradation)',
      'rule file: rules.spike.bogus is not a setting (increasePercent, baselineMinutes, minPerMinute, resolveAfterMinutes)',
      'rules.spike.increasePercent=-5: expected a number from 1 to 100000',
      'FAULTLINE_ALERTS_DEGRADATION_FACTOR="fast": expected a number from 1.01 to 1000',
      'slack: its URL is not an http(s) URL',
      'routes.degradation: pagerduty is not configured',
      'routes.degradation: "email" is not a channel (slack, pagerduty, opsgenie, webhook)',
      'FAULTLINE_ALERTS_KAFKA_BROKERS or FAULTLINE_KAFKA_BROKERS=(not set): expected host:port pairs separated by commas',
    ]);
    expect((error as Error).message).not.toContain('SECRETPATH');
  });

  it('needs a channel unless it is a dry run', () => {
    expect(() => resolveAlertsConfig({}, { FAULTLINE_KAFKA_BROKERS: 'k:9092' })).toThrow(
      /no channel configured/,
    );
    expect(
      resolveAlertsConfig({}, { FAULTLINE_KAFKA_BROKERS: 'k:9092', FAULTLINE_ALERTS_DRY_RUN: 'true' }).dryRun,
    ).toBe(true);
  });

  it('the CLI exits 2 with the list, before connecting to anything', async () => {
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stderr.write;
    try {
      expect(await main(['--rules', join(dir, 'missing.yaml')], {})).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(written.join('')).toMatch(/FAULTLINE_ALERTS_RULES_FILE: cannot read .*missing\.yaml \(ENOENT\)/);
    expect(written.join('')).toContain('FAULTLINE_ALERTS_KAFKA_BROKERS or FAULTLINE_KAFKA_BROKERS');
  });

  it('a dry run prints each request it would send, keys masked, and sends nothing', async () => {
    const lines: { message: string; fields?: Record<string, unknown> }[] = [];
    const log = (message: string, fields?: Record<string, unknown>) => lines.push({ message, fields });
    const notifier = createAlertNotifier({
      channels: { pagerduty: { routingKey: 'ROUTINGKEY9876', url: 'http://127.0.0.1:9/never' } },
      routes: { spike: ['pagerduty'], regression: [], degradation: [] },
      dryRun: true,
      logger: { debug: log, info: log, warn: log, error: log },
    });
    await notifier.notify({
      rule: 'spike',
      key: 'spike:project:42',
      status: 'firing',
      project: '42',
      summary: 'Spike: project 42 at 900/min',
      details: {},
      at: 0,
    });
    expect(lines.map((l) => l.message)).toEqual([
      'dry run: would send firing to pagerduty: Spike: project 42 at 900/min',
    ]);
    expect(JSON.stringify(lines)).toContain('"routing_key":"****9876"');
    expect(JSON.stringify(lines)).not.toContain('ROUTINGKEY9876');
  });
});

describe('alerts settings, as every Faultline component reads them', () => {
  it('takes an option (a flag) over its variable, and a variable over the rule file', () => {
    const rules = file(
      'precedence.yaml',
      'rules:\n  spike:\n    increasePercent: 300\n    minPerMinute: 7\n',
    );
    const config = resolveAlertsConfig(
      {
        brokers: ['flag:9092'],
        topic: 'from-option',
        groupId: 'g-option',
        rules: { spike: { increasePercent: 500 } },
      },
      {
        ...ENV,
        FAULTLINE_ALERTS_RULES_FILE: rules,
        FAULTLINE_ALERTS_TOPIC: 'from-env',
        FAULTLINE_ALERTS_GROUP: 'g-env',
        FAULTLINE_ALERTS_SPIKE_INCREASE_PERCENT: '400',
        FAULTLINE_ALERTS_SPIKE_MIN_PER_MINUTE: '9',
      },
    );
    expect(config).toMatchObject({ brokers: ['flag:9092'], topic: 'from-option', groupId: 'g-option' });
    expect(config.rules.spike).toMatchObject({ increasePercent: 500, minPerMinute: 9 });
  });

  it('reads SASL over TLS from its own variables, then the shared ones, secrets from files', () => {
    const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const password = file('password', 'alerts-secret\n');
    const config = resolveAlertsConfig(
      {},
      {
        ...ENV,
        FAULTLINE_KAFKA_SASL_MECHANISM: 'scram-sha-256',
        FAULTLINE_KAFKA_SASL_USERNAME: 'services',
        FAULTLINE_ALERTS_KAFKA_SASL_USERNAME: 'alerts',
        FAULTLINE_ALERTS_KAFKA_SASL_PASSWORD_FILE: password,
        FAULTLINE_KAFKA_SSL_CA_FILE: ca,
      },
    );
    expect(config.connection.sasl).toEqual({
      mechanism: 'scram-sha-256',
      username: 'alerts',
      password: 'alerts-secret',
    });
    expect(config.connection.ssl).toMatchObject({
      ca: expect.stringContaining('BEGIN CERTIFICATE'),
      rejectUnauthorized: true,
    });
  });

  it('still reads FAULTLINE_ALERTS_BROKERS, saying it is deprecated', () => {
    const config = resolveAlertsConfig(
      {},
      { FAULTLINE_ALERTS_BROKERS: 'old:9092', FAULTLINE_ALERTS_DRY_RUN: '1' },
    );
    expect(config.brokers).toEqual(['old:9092']);
    expect(config.deprecations).toEqual([
      'FAULTLINE_ALERTS_BROKERS is deprecated and will be removed in the next release: use FAULTLINE_ALERTS_KAFKA_BROKERS or FAULTLINE_KAFKA_BROKERS',
    ]);
  });

  it('fails with code FAULTLINE_CONFIG, naming the mechanism setting and never the password', () => {
    let caught: unknown;
    try {
      resolveAlertsConfig(
        {},
        { ...ENV, FAULTLINE_KAFKA_SASL_MECHANISM: 'gssapi', FAULTLINE_KAFKA_SASL_PASSWORD: 'hunter2' },
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AlertsConfigError);
    expect((caught as AlertsConfigError).code).toBe('FAULTLINE_CONFIG');
    expect((caught as Error).message).toContain(
      'FAULTLINE_KAFKA_SASL_MECHANISM="gssapi": expected one of plain',
    );
    expect((caught as Error).message).not.toContain('hunter2');
  });
});
