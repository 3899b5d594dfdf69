import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigSources, type FaultlineOptions, resolveConfig } from '../src/index.js';

const DSN = 'https://abc123def456@o1.ingest.sentry.io/42';
const FILES: Record<string, string> = { '/run/secrets/dsn': `${DSN}\n` };
const APP = { name: '@acme/checkout', version: '1.4.2', path: '/app/package.json' };

function resolve(env: Record<string, string>, options: FaultlineOptions = {}, sources: ConfigSources = {}) {
  return resolveConfig(options, {
    env,
    app: APP,
    hostname: 'host-1',
    readFile: (path) => {
      const content = FILES[path];
      if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return content;
    },
    ...sources,
  });
}

function problemsOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig: DSN', () => {
  it('is off without a DSN, and an empty SENTRY_DSN counts as unset', () => {
    expect(resolve({}).enabled).toBe(false);
    expect(resolve({ SENTRY_DSN: '  ' }).enabled).toBe(false);
  });

  it('reads SENTRY_DSN, SENTRY_DSN_FILE and options.dsn, the option winning', () => {
    expect(resolve({ SENTRY_DSN: DSN })).toMatchObject({ enabled: true, dsn: DSN, dsnSource: 'SENTRY_DSN' });
    expect(resolve({ SENTRY_DSN_FILE: '/run/secrets/dsn' })).toMatchObject({
      dsn: DSN,
      dsnSource: 'SENTRY_DSN_FILE',
    });
    const other = 'https://k@sentry.example.com/7';
    expect(resolve({ SENTRY_DSN: DSN }, { dsn: other })).toMatchObject({
      dsn: other,
      dsnSource: 'options.dsn',
    });
  });

  it('rejects SENTRY_DSN and SENTRY_DSN_FILE together', () => {
    const problems = problemsOf(() => resolve({ SENTRY_DSN: DSN, SENTRY_DSN_FILE: '/run/secrets/dsn' }));
    expect(problems).toEqual([
      expect.objectContaining({ source: 'SENTRY_DSN_FILE', expected: expect.stringContaining('only one') }),
    ]);
  });

  it('names an unreadable DSN file and the reason', () => {
    const [problem] = problemsOf(() => resolve({ SENTRY_DSN_FILE: '/nope' }));
    expect(problem).toEqual({
      source: 'SENTRY_DSN_FILE',
      value: '"/nope" (ENOENT)',
      expected: 'the path of a readable file holding the DSN',
    });
  });

  it.each([
    ['no key', 'https://o1.ingest.sentry.io/42', '<a URL for host o1.ingest.sentry.io, not a DSN>'],
    [
      'no project',
      'https://secretkey@o1.ingest.sentry.io/',
      '<a URL for host o1.ingest.sentry.io, not a DSN>',
    ],
    [
      'non-numeric project',
      'https://secretkey@o1.ingest.sentry.io/abc',
      '<a URL for host o1.ingest.sentry.io, not a DSN>',
    ],
    [
      'wrong scheme',
      'ftp://secretkey@o1.ingest.sentry.io/42',
      '<a URL for host o1.ingest.sentry.io, not a DSN>',
    ],
    ['not a URL', 'secretkey', '<9 characters, not a URL>'],
  ])('rejects a DSN with %s and never shows its key', (_, dsn, shown) => {
    const [problem] = problemsOf(() => resolve({ SENTRY_DSN: dsn }));
    expect(problem?.source).toBe('SENTRY_DSN');
    expect(problem?.value).toBe(shown);
    expect(problem?.expected).toContain('https://<public key>@<host>/<project id>');
    expect(JSON.stringify(problem)).not.toContain('secretkey');
  });

  it('keeps the key of a DSN that is valid but has other problems around it out of the error', () => {
    const error = (() => {
      try {
        resolve({ SENTRY_DSN: DSN, SENTRY_TRACES_SAMPLE_RATE: 'lots' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toContain('SENTRY_TRACES_SAMPLE_RATE');
    expect(error?.message).not.toContain('abc123def456');
  });
});

describe('resolveConfig: service, release, environment', () => {
  it('defaults the service to the package name and the release to name@version', () => {
    const config = resolve({});
    expect(config.service).toBe('@acme/checkout');
    // Sentry forbids slashes in releases.
    expect(config.release).toBe('acme-checkout@1.4.2');
  });

  it('adds the commit from a CI variable to the default release', () => {
    expect(resolve({ GITHUB_SHA: 'ABCDEF0123456789abcdef0123456789abcdef01' }).release).toBe(
      'acme-checkout@1.4.2+abcdef012345',
    );
    expect(resolve({ CI_COMMIT_SHA: '0123456789abcdef' }).release).toBe('acme-checkout@1.4.2+0123456789ab');
    // Not a hash: ignored rather than put into the release.
    expect(resolve({ GIT_COMMIT: 'main' }).release).toBe('acme-checkout@1.4.2');
  });

  it('has no default release without a package version, and a fallback service without a package', () => {
    expect(resolve({}, {}, { app: { name: 'x', version: undefined, path: '/p' } }).release).toBeUndefined();
    const bare = resolve({}, {}, { app: undefined });
    expect(bare.service).toBe('unknown_service:node');
    expect(bare.release).toBeUndefined();
  });

  it('lets the option win for the service, and FAULTLINE_SERVICE over the package name', () => {
    expect(resolve({ FAULTLINE_SERVICE: 'from-env' }).service).toBe('from-env');
    // The default release follows the service name.
    expect(resolve({ FAULTLINE_SERVICE: 'from-env' }).release).toBe('from-env@1.4.2');
    expect(resolve({ FAULTLINE_SERVICE: 'from-env' }, { service: 'from-option' }).service).toBe(
      'from-option',
    );
  });

  it('lets SENTRY_RELEASE and SENTRY_ENVIRONMENT win over the options (the deploy knows best)', () => {
    const env = { SENTRY_RELEASE: 'checkout@2.0.0', SENTRY_ENVIRONMENT: 'staging' };
    const config = resolve(env, { release: 'checkout@1.0.0', environment: 'dev' });
    expect(config.release).toBe('checkout@2.0.0');
    expect(config.environment).toBe('staging');
    expect(resolve({}, { release: 'checkout@1.0.0', environment: 'dev' })).toMatchObject({
      release: 'checkout@1.0.0',
      environment: 'dev',
    });
  });

  it('defaults the environment to NODE_ENV, else production', () => {
    expect(resolve({ NODE_ENV: 'development' }).environment).toBe('development');
    expect(resolve({}).environment).toBe('production');
  });

  it.each([
    ['SENTRY_RELEASE', 'a/b'],
    ['SENTRY_RELEASE', 'x'.repeat(201)],
    ['SENTRY_RELEASE', '..'],
    ['SENTRY_ENVIRONMENT', 'prod eu'],
    ['SENTRY_ENVIRONMENT', 'e'.repeat(65)],
    ['FAULTLINE_SERVICE', 'my service'],
  ])('rejects %s=%j', (variable, value) => {
    const [problem] = problemsOf(() => resolve({ [variable]: value }));
    expect(problem).toMatchObject({ source: variable, value: JSON.stringify(value) });
    expect(problem?.expected).toMatch(/characters without whitespace/);
  });
});

describe('resolveConfig: transport, sampling, debug, shutdown', () => {
  it('picks kafka when brokers are set, http otherwise', () => {
    expect(resolve({}).transport).toBe('http');
    const kafka = resolve({ FAULTLINE_KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9093' });
    expect(kafka.transport).toBe('kafka');
    expect(kafka.kafkaBrokers).toEqual(['kafka-1:9092', 'kafka-2:9093']);
    expect(resolve({ FAULTLINE_KAFKA_BROKERS: 'k:9092', FAULTLINE_TRANSPORT: 'HTTP' }).transport).toBe(
      'http',
    );
    expect(
      resolve({ FAULTLINE_TRANSPORT: 'http' }, { kafkaBrokers: ['k:1'], transport: 'kafka' }).transport,
    ).toBe('kafka');
  });

  it('rejects an unknown transport, bad brokers, and kafka without brokers', () => {
    expect(problemsOf(() => resolve({ FAULTLINE_TRANSPORT: 'carrier-pigeon' }))).toEqual([
      { source: 'FAULTLINE_TRANSPORT', value: '"carrier-pigeon"', expected: 'http or kafka' },
    ]);
    expect(problemsOf(() => resolve({ FAULTLINE_KAFKA_BROKERS: 'kafka-1' }))[0]).toMatchObject({
      source: 'FAULTLINE_KAFKA_BROKERS',
      expected: expect.stringContaining('host:port'),
    });
    expect(problemsOf(() => resolve({ FAULTLINE_KAFKA_BROKERS: 'kafka-1:70000' }))[0]?.source).toBe(
      'FAULTLINE_KAFKA_BROKERS',
    );
    expect(problemsOf(() => resolve({ FAULTLINE_TRANSPORT: 'kafka' }))[0]).toMatchObject({
      source: 'FAULTLINE_TRANSPORT',
      expected: expect.stringContaining('FAULTLINE_KAFKA_BROKERS'),
    });
  });

  it('reads the traces sample rate and rejects values outside 0..1', () => {
    expect(resolve({}).tracesSampleRate).toBeUndefined();
    expect(resolve({ SENTRY_TRACES_SAMPLE_RATE: '0.25' }).tracesSampleRate).toBe(0.25);
    expect(resolve({ SENTRY_TRACES_SAMPLE_RATE: '0.25' }, { tracesSampleRate: 1 }).tracesSampleRate).toBe(1);
    for (const bad of ['1.5', '-0.1', 'half', 'NaN', 'Infinity']) {
      expect(problemsOf(() => resolve({ SENTRY_TRACES_SAMPLE_RATE: bad }))).toEqual([
        { source: 'SENTRY_TRACES_SAMPLE_RATE', value: JSON.stringify(bad), expected: 'a number from 0 to 1' },
      ]);
    }
    expect(problemsOf(() => resolve({}, { tracesSampleRate: 2 }))).toEqual([
      { source: 'options.tracesSampleRate', value: '2', expected: 'a number from 0 to 1' },
    ]);
  });

  it('reads SENTRY_DEBUG in its usual spellings', () => {
    for (const yes of ['1', 'true', 'TRUE', 'yes', 'on'])
      expect(resolve({ SENTRY_DEBUG: yes }).debug).toBe(true);
    for (const no of ['0', 'false', 'no', 'off']) expect(resolve({ SENTRY_DEBUG: no }).debug).toBe(false);
    expect(problemsOf(() => resolve({ SENTRY_DEBUG: 'maybe' }))[0]).toMatchObject({
      source: 'SENTRY_DEBUG',
      value: '"maybe"',
    });
    expect(resolve({ SENTRY_DEBUG: '1' }, { debug: false }).debug).toBe(false);
  });

  it('bounds the shutdown timeout', () => {
    expect(resolve({}).shutdownTimeoutMs).toBe(2000);
    expect(resolve({ FAULTLINE_SHUTDOWN_TIMEOUT_MS: '500' }).shutdownTimeoutMs).toBe(500);
    for (const bad of ['-1', '1.5', '60001', 'soon']) {
      expect(problemsOf(() => resolve({ FAULTLINE_SHUTDOWN_TIMEOUT_MS: bad }))[0]?.source).toBe(
        'FAULTLINE_SHUTDOWN_TIMEOUT_MS',
      );
    }
  });

  it('has a variable for every setting a preload needs: signals, KafkaJS instrumentation, the spool', () => {
    // `node --import @faultline/core/init` has no options: what a deploy changes must be a variable.
    expect(resolve({}).handleSignals).toBe(true);
    expect(resolve({ FAULTLINE_HANDLE_SIGNALS: 'off' }).handleSignals).toBe(false);
    expect(resolve({ FAULTLINE_HANDLE_SIGNALS: 'off' }, { handleSignals: true }).handleSignals).toBe(true);
    expect(resolve({}).kafkajsInstrumentation).toBe('faultline');
    expect(resolve({ FAULTLINE_KAFKAJS_INSTRUMENTATION: 'sentry' }).kafkajsInstrumentation).toBe('sentry');
    expect(resolve({ FAULTLINE_KAFKA_BROKERS: 'k:1', FAULTLINE_SPOOL: 'off' }).kafka.spool).toBe(false);
    expect(resolve({ FAULTLINE_KAFKA_BROKERS: 'k:1', FAULTLINE_SPOOL: 'on' }).kafka.spool).not.toBe(false);
    expect(resolve({}).sampling.errors).not.toBe(false);
    expect(resolve({ FAULTLINE_ERRORS_SAMPLING: 'off' }).sampling.errors).toBe(false);
    // An option wins: errors given as options keep the policy on.
    expect(
      resolve({ FAULTLINE_ERRORS_SAMPLING: 'off' }, { sampling: { errors: {} } }).sampling.errors,
    ).not.toBe(false);
    const problems = problemsOf(() =>
      resolve({
        FAULTLINE_HANDLE_SIGNALS: 'sometimes',
        FAULTLINE_KAFKAJS_INSTRUMENTATION: 'otel',
        FAULTLINE_SPOOL: 'disk',
      }),
    );
    expect(problems.map((p) => p.source).sort()).toEqual([
      'FAULTLINE_HANDLE_SIGNALS',
      'FAULTLINE_KAFKAJS_INSTRUMENTATION',
      'FAULTLINE_SPOOL',
    ]);
  });

  it('lists every problem at once, each with variable, value and expected form', () => {
    const env = {
      SENTRY_DSN: 'nonsense',
      SENTRY_TRACES_SAMPLE_RATE: '2',
      SENTRY_DEBUG: 'perhaps',
      FAULTLINE_TRANSPORT: 'smoke',
    };
    try {
      resolve(env);
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toMatch(/^Faultline configuration is invalid \(4 problems\):/);
      expect(message).toContain('SENTRY_DSN=<8 characters, not a URL>: expected a DSN like');
      expect(message).toContain('SENTRY_TRACES_SAMPLE_RATE="2": expected a number from 0 to 1');
      expect(message).toContain('SENTRY_DEBUG="perhaps": expected true or false');
      expect(message).toContain('FAULTLINE_TRANSPORT="smoke": expected http or kafka');
    }
  });
});

describe('resolveConfig: runtime context', () => {
  it('collects hostname, container id and Kubernetes facts', () => {
    const id = 'a'.repeat(64);
    const config = resolve(
      {
        KUBERNETES_SERVICE_HOST: '10.0.0.1',
        HOSTNAME: 'checkout-7d9f-abcde',
        POD_NAMESPACE: 'shop',
        NODE_NAME: 'n1',
      },
      {},
      {
        readFile: (path) => {
          if (path === '/proc/self/cgroup') return `0::/kubepods/burstable/pod123/${id}\n`;
          throw new Error('ENOENT');
        },
      },
    );
    expect(config.runtime).toEqual({
      hostname: 'host-1',
      containerId: id,
      k8s: { pod: 'checkout-7d9f-abcde', namespace: 'shop', node: 'n1' },
    });
  });

  it('leaves out what is not there', () => {
    expect(resolve({ HOSTNAME: 'laptop' }).runtime).toEqual({ hostname: 'host-1' });
  });
});

describe('resolveConfig: sampling', () => {
  it('turns tracing on for rules or a target, and lets options win over variables', () => {
    expect(resolve({}).sampling.traces.enabled).toBe(false);
    const fromEnv = resolve({
      FAULTLINE_TRACES_RULES: 'route:/health*=0; *=0.2',
      FAULTLINE_ERRORS_PER_MINUTE: '60',
    });
    expect(fromEnv.sampling.traces).toMatchObject({
      enabled: true,
      rate: 0,
      rules: [{ rate: 0 }, { rate: 0.2 }],
    });
    expect(fromEnv.sampling.errors).toMatchObject({ budgetPerMinute: 60 });
    const target = resolve({ FAULTLINE_TRACES_TARGET_PER_MINUTE: '300' });
    expect(target.sampling.traces).toMatchObject({ enabled: true, rate: 1, targetPerMinute: 300 });
    const options = resolve(
      { FAULTLINE_ERRORS_PER_MINUTE: '60', FAULTLINE_BACKPRESSURE: 'false' },
      { sampling: { errors: { budgetPerMinute: 10 }, backpressure: true } },
    );
    expect(options.sampling.errors).toMatchObject({ budgetPerMinute: 10 });
    expect(options.sampling.backpressure).toBe(true);
    expect(resolve({}, { sampling: { errors: false } }).sampling.errors).toBe(false);
  });

  it('reports bad sampling variables and options with the other problems', () => {
    const problems = problemsOf(() =>
      resolve(
        { SENTRY_DEBUG: 'maybe', FAULTLINE_TRACES_RULES: 'route:/x', FAULTLINE_PEAK_HOURS: 'always' },
        { sampling: { healthCheckRate: 2, errors: { sampleRate: -1 } } },
      ),
    );
    expect(problems.map((p) => p.source).sort()).toEqual([
      'FAULTLINE_PEAK_HOURS',
      'FAULTLINE_TRACES_RULES',
      'SENTRY_DEBUG',
      'options.sampling.errors.sampleRate',
      'options.sampling.healthCheckRate',
    ]);
    expect(problems.find((p) => p.source === 'FAULTLINE_TRACES_RULES')?.expected).toContain(
      'rule "route:/x": expected <kind>:<pattern>=<rate>',
    );
  });
});

describe('resolveConfig: Kafka transport', () => {
  it('reads topic, TLS, SASL and spool settings', () => {
    const config = resolve({
      FAULTLINE_KAFKA_BROKERS: 'k1:9093',
      FAULTLINE_KAFKA_TOPIC: 'telemetry.envelopes',
      FAULTLINE_KAFKA_SSL: 'true',
      FAULTLINE_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      FAULTLINE_KAFKA_SASL_USERNAME: 'svc',
      FAULTLINE_KAFKA_SASL_PASSWORD: 'hunter2',
      FAULTLINE_SPOOL_DIR: '/var/spool/checkout',
      FAULTLINE_SPOOL_MAX_BYTES: '67108864',
    });
    expect(config.transport).toBe('kafka');
    expect(config.kafka).toEqual({
      topic: 'telemetry.envelopes',
      clientId: '_acme_checkout',
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'hunter2' },
      spool: { dir: '/var/spool/checkout', maxBytes: 67108864 },
    });
    expect(resolve({ FAULTLINE_KAFKA_BROKERS: 'k:1' }).kafka).toMatchObject({
      topic: 'sentry-envelopes',
      ssl: false,
    });
    expect(resolve({}, { spool: false }).kafka.spool).toBe(false);
  });

  it('reads the SASL password from a file', () => {
    FILES['/run/secrets/kafka'] = 's3cret\n';
    const config = resolve({
      FAULTLINE_KAFKA_SASL_MECHANISM: 'plain',
      FAULTLINE_KAFKA_SASL_USERNAME: 'svc',
      FAULTLINE_KAFKA_SASL_PASSWORD_FILE: '/run/secrets/kafka',
    });
    expect(config.kafka.sasl).toMatchObject({ mechanism: 'plain', username: 'svc', password: 's3cret' });
  });

  it('reports bad values without ever showing the password', () => {
    const problems = problemsOf(() =>
      resolve({
        FAULTLINE_KAFKA_TOPIC: 'bad topic!',
        FAULTLINE_KAFKA_SSL: 'tls',
        FAULTLINE_KAFKA_SASL_MECHANISM: 'gssapi',
        FAULTLINE_KAFKA_SASL_PASSWORD: 'hunter2',
        FAULTLINE_SPOOL_MAX_BYTES: '1000',
      }),
    );
    expect(problems.map((p) => p.source).sort()).toEqual([
      'FAULTLINE_KAFKA_SASL_MECHANISM',
      'FAULTLINE_KAFKA_SSL',
      'FAULTLINE_KAFKA_TOPIC',
      'FAULTLINE_SPOOL_MAX_BYTES',
    ]);
    const missing = problemsOf(() =>
      resolve({ FAULTLINE_KAFKA_SASL_MECHANISM: 'plain', FAULTLINE_KAFKA_SASL_PASSWORD: 'hunter2' }),
    );
    expect(missing[0]?.expected).toContain('username missing, password set');
    expect(JSON.stringify([...problems, ...missing])).not.toContain('hunter2');
  });
});

describe('resolveConfig: scrubbing', () => {
  it('scrubs with the default rules unless told otherwise', () => {
    expect(resolve({}).scrub).toEqual({
      rules: ['keys', 'creditcard', 'bearer', 'urlauth', 'pemkey'],
      extraKeys: [],
      safeFields: [],
    });
  });

  it('reads FAULTLINE_SCRUB, FAULTLINE_SCRUB_KEYS and FAULTLINE_SCRUB_SAFE_FIELDS; options win', () => {
    const config = resolve({
      FAULTLINE_SCRUB: 'email,-pemkey',
      FAULTLINE_SCRUB_KEYS: 'iban, tax_id',
      FAULTLINE_SCRUB_SAFE_FIELDS: 'session_token',
    });
    expect(config.scrub).toEqual({
      rules: ['keys', 'creditcard', 'bearer', 'urlauth', 'email'],
      extraKeys: ['iban', 'tax_id'],
      safeFields: ['session_token'],
    });
    expect(resolve({ FAULTLINE_SCRUB: 'email' }, { scrub: { rules: ['keys'] } }).scrub).toMatchObject({
      rules: ['keys'],
    });
    expect(resolve({ FAULTLINE_SCRUB: 'off' }).scrub).toBe(false);
    expect(resolve({}, { scrub: false }).scrub).toBe(false);
  });

  it('names a bad rule at start-up', () => {
    const problems = problemsOf(() => resolve({ FAULTLINE_SCRUB: 'email,phone' }));
    expect(problems).toEqual([
      {
        source: 'FAULTLINE_SCRUB',
        value: '"email,phone"',
        expected: expect.stringContaining('rule names separated by commas'),
      },
    ]);
    expect(problemsOf(() => resolve({}, { scrub: { rules: ['keys', 'phone' as never] } }))[0]?.source).toBe(
      'options.scrub.rules',
    );
  });
});

describe('resolveConfig: conventions shared with OpenTelemetry and Sentry', () => {
  it('reads OTEL_SERVICE_NAME after FAULTLINE_SERVICE and before the package name', () => {
    expect(resolve({ OTEL_SERVICE_NAME: 'billing' }).service).toBe('billing');
    expect(resolve({ OTEL_SERVICE_NAME: 'billing', FAULTLINE_SERVICE: 'payments' }).service).toBe('payments');
    expect(resolve({}).service).toBe('@acme/checkout');
  });

  it("accepts every spelling of SENTRY_DEBUG that Sentry's envToBool does", () => {
    for (const yes of ['1', 'true', 'T', 'yes', 'Y', 'on'])
      expect(resolve({ SENTRY_DEBUG: yes }).debug).toBe(true);
    for (const no of ['0', 'false', 'F', 'no', 'n', 'off'])
      expect(resolve({ SENTRY_DEBUG: no }).debug).toBe(false);
  });
});

describe('resolveConfig: a release injected by a Sentry bundler plugin', () => {
  it('wins over the default, and loses to SENTRY_RELEASE and options.release', () => {
    const injected = { injectedRelease: 'checkout@build-77' };
    expect(resolve({}, {}, injected).release).toBe('checkout@build-77');
    expect(resolve({ SENTRY_RELEASE: 'checkout@deploy-1' }, {}, injected).release).toBe('checkout@deploy-1');
    expect(resolve({}, { release: 'checkout@mine' }, injected).release).toBe('checkout@mine');
  });

  it('reads globalThis.SENTRY_RELEASE.id, where the plugins put it', () => {
    const global = globalThis as { SENTRY_RELEASE?: { id: string } };
    global.SENTRY_RELEASE = { id: 'checkout@from-bundle' };
    try {
      expect(resolveConfig({}, { env: {}, app: APP }).release).toBe('checkout@from-bundle');
    } finally {
      delete global.SENTRY_RELEASE;
    }
    expect(resolveConfig({}, { env: {}, app: APP }).release).toBe('acme-checkout@1.4.2');
  });
});

describe('resolveConfig: options in the wrong place', () => {
  it('refuses a Sentry.init option at the top level, saying it belongs under sentry:', () => {
    const options = { integrations: [], beforeSend: (e: unknown) => e, brokers: ['k:1'], errors: false };
    const problems = problemsOf(() =>
      resolveConfig(options as never, { env: { SENTRY_DSN: DSN }, app: undefined }),
    );
    expect(problems.map((p) => [p.source, p.expected])).toEqual([
      ['options.integrations', expect.stringContaining('belongs under sentry.integrations')],
      ['options.beforeSend', expect.stringContaining('belongs under sentry.beforeSend')],
      ['options.brokers', expect.stringContaining('belongs under kafkaBrokers')],
      ['options.errors', expect.stringContaining('belongs under sampling.errors')],
    ]);
  });

  it('accepts every documented top-level option', () => {
    expect(() =>
      resolveConfig(
        { service: 'svc', sentry: { integrations: [] }, sampling: { errors: false }, kafka: { topic: 't' } },
        { env: { SENTRY_DSN: DSN }, app: undefined },
      ),
    ).not.toThrow();
  });
});
