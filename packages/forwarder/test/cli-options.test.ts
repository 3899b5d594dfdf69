import { ConfigError } from '@faultline/contract';
import { describe, expect, it } from 'vitest';
import { parse, resolveOptions } from '../src/cli.js';
import { resolveForwarderConfig } from '../src/resolve-forwarder-config.js';

const DSN = 'https://abc@o1.ingest.example.com/7';
const base = { FAULTLINE_KAFKA_BROKERS: 'kafka-1:9092', FAULTLINE_FORWARDER_ALLOWED_DSNS: DSN };
const read = (argv: string[], env: Record<string, string | undefined> = base) =>
  resolveOptions(parse(argv).values, env);

describe('the forwarder command line', () => {
  it('reads a bare --scrub as the default rules, --scrub=off as off, and rules as given', () => {
    const scrub = read(['--scrub']).options.scrub;
    const bare = scrub === false ? undefined : scrub;
    expect(bare?.rules).toEqual(['keys', 'creditcard', 'bearer', 'urlauth', 'pemkey']);
    expect(read(['--scrub', '--topic', 't']).options).toMatchObject({ topic: 't' });
    expect(read(['--scrub', '--topic', 't']).options.scrub).toMatchObject({ rules: bare?.rules });
    expect(read(['--scrub=']).options.scrub).toMatchObject({ rules: bare?.rules });
    expect(read(['--scrub=off']).options.scrub).toBe(false);
    expect(read(['--scrub', 'ip']).options.scrub).toMatchObject({
      rules: [...(bare?.rules ?? []), 'ip'],
    });
    expect(read([]).options.scrub).toBe(false); // off unless asked
    expect(read(['--scrub', 'nonsense']).settings.problems).toMatchObject([{ source: '--scrub' }]);
  });

  it('takes a flag over its variable, the component variable over the shared one', () => {
    const env = {
      ...base,
      FAULTLINE_FORWARDER_KAFKA_BROKERS: 'own-1:9092',
      FAULTLINE_FORWARDER_TOPIC: 'from-env',
    };
    expect(read([], env).options).toMatchObject({ brokers: ['own-1:9092'], topic: 'from-env' });
    expect(read(['--brokers', 'flag-1:9092', '--topic', 'from-flag'], env).options).toMatchObject({
      brokers: ['flag-1:9092'],
      topic: 'from-flag',
    });
    expect(read([], { ...base, FAULTLINE_KAFKA_TOPIC: 'shared' }).options.topic).toBe('shared');
  });

  it('still reads FAULTLINE_FORWARDER_BROKERS, with a deprecation line', () => {
    const { options, settings } = read([], {
      FAULTLINE_FORWARDER_BROKERS: 'old-1:9092',
      FAULTLINE_FORWARDER_ALLOWED_DSNS: DSN,
    });
    expect(options.brokers).toEqual(['old-1:9092']);
    expect(settings.problems).toEqual([]);
    expect(settings.deprecations).toEqual([
      'FAULTLINE_FORWARDER_BROKERS is deprecated and will be removed in the next release: use FAULTLINE_FORWARDER_KAFKA_BROKERS or FAULTLINE_KAFKA_BROKERS',
    ]);
  });

  it('reads SASL and TLS as every component does, secrets from files', () => {
    const { options, settings } = read([], {
      ...base,
      FAULTLINE_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      FAULTLINE_FORWARDER_KAFKA_SASL_USERNAME: 'forwarder',
      FAULTLINE_KAFKA_SASL_PASSWORD_FILE: '/definitely/not/here',
      FAULTLINE_KAFKA_SSL: 'on',
    });
    expect(options.ssl).toBe(true);
    // The missing file is named, the password never shown (there is none to show).
    expect(settings.problems.map((p) => p.source)).toEqual([
      'FAULTLINE_KAFKA_SASL_PASSWORD_FILE',
      'FAULTLINE_KAFKA_SASL_MECHANISM',
    ]);
    expect(settings.problems[0]?.value).toContain('ENOENT');
  });

  it('reads --start-from as earliest, latest or a time, and refuses anything else', () => {
    expect(read([]).options.startFrom).toBeUndefined();
    expect(read(['--start-from', 'latest']).options.startFrom).toBe('latest');
    expect(read(['--start-from', '2026-12-01T00:00:00Z']).options.startFrom).toEqual(
      new Date('2026-12-01T00:00:00Z'),
    );
    expect(read(['--start-from', 'yesterday']).settings.problems).toMatchObject([
      { source: '--start-from', expected: expect.stringContaining('earliest, latest') },
    ]);
  });

  it('lists every problem at once', () => {
    const { settings } = read(['--max-in-flight', '0', '--upstream', 'ftp://relay'], {
      FAULTLINE_FORWARDER_LOG_LEVEL: 'loud',
    });
    expect(settings.problems.map((p) => p.source).sort()).toEqual([
      '--max-in-flight',
      '--upstream',
      'FAULTLINE_FORWARDER_ALLOWED_DSNS (or --allowed-dsns)',
      'FAULTLINE_FORWARDER_KAFKA_BROKERS or FAULTLINE_KAFKA_BROKERS',
      'FAULTLINE_FORWARDER_LOG_LEVEL',
    ]);
  });
});

describe('createForwarder options', () => {
  it('throws one ConfigError (FAULTLINE_CONFIG) naming each bad option', () => {
    let caught: unknown;
    try {
      resolveForwarderConfig({
        brokers: ['no-port'],
        allowedDsns: [DSN],
        upstream: 'ftp://relay',
        maxInFlight: 0,
        startFrom: new Date('not a date'),
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).code).toBe('FAULTLINE_CONFIG');
    expect((caught as ConfigError).problems.map((p) => p.source)).toEqual([
      'options.brokers',
      'options.upstream',
      'options.maxInFlight',
      'options.startFrom',
    ]);
  });
});
