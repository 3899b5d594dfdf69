import { prefixLogger, redactDsn } from '@faultline/contract';
import type { KafkaTransportFactory, Salvage } from '@faultline/kafka-transport';
import { createScrubber } from '@faultline/scrubbing';
import { spoolDurability } from '@faultline/spool';
import * as Sentry from '@sentry/node';
import { admitErrorsEarly } from './admit-errors-early.js';
import { applyRuntimeContext } from './apply-runtime-context.js';
import { buildSampling } from './build-sampling.js';
import { flushWithin } from './flush-within.js';
import { loadKafkaTransport } from './load-kafka-transport.js';
import { createLogger, type Logger } from './logger.js';
import { memoizeStackParser } from './memoize-stack-parser.js';
import { createNoopHandle, type ObservabilityHandle } from './observability-handle.js';
import type { FaultlineOptions } from './options.js';
import { type ResolvedConfig, resolveConfig } from './resolve-config.js';
import { scrubTransport } from './scrub-transport.js';
import { shareContextLineReads } from './share-context-line-reads.js';
import { installShutdownHooks } from './shutdown-hooks.js';
import { throttleContextMemory } from './throttle-context-memory.js';

/**
 * The handle of this process's one setup, shared by every copy of this module (the ESM build
 * preloaded with `--import @faultline/core/init` and the CommonJS build an app requires are two
 * copies): the SDK is process-global, so Faultline is too.
 */
const CURRENT_KEY = Symbol.for('faultline.core.current');
const registry = globalThis as { [CURRENT_KEY]?: ObservabilityHandle | undefined };

/** The handle `initObservability()` returned in this process (also from a preload), if any. */
export function currentObservability(): ObservabilityHandle | undefined {
  return registry[CURRENT_KEY];
}

/**
 * Sets up Sentry for this process from options and environment variables: validated config,
 * release and environment, service and runtime context on every event, and a bounded flush on
 * SIGTERM, SIGINT and exit. Throws a `ConfigError` listing every bad setting; never throws after
 * that. Without a DSN it stays off and returns a handle whose methods are no-ops.
 *
 * Call it before the modules you want instrumented are loaded: in ESM, from a file given to
 * `node --import`; in CommonJS, at the top of the entry file.
 *
 * @example
 * ```ts
 * import { initObservability } from '@faultline/core';
 * const observability = initObservability({ service: 'checkout', tracesSampleRate: 0.2 });
 * ```
 */
export function initObservability(options: FaultlineOptions = {}): ObservabilityHandle {
  const current = registry[CURRENT_KEY];
  if (current) {
    createLogger(current.config.debug, options.logger).warn(
      'initObservability() was called again; the first call configured Faultline, this call changes nothing',
    );
    return current;
  }
  const config = resolveConfig(options);
  const logger = createLogger(config.debug, options.logger);
  const forget = () => {
    registry[CURRENT_KEY] = undefined;
  };

  if (!config.enabled) {
    logger.info(
      'no DSN set (SENTRY_DSN, SENTRY_DSN_FILE or options.dsn): Faultline is off and sends nothing',
    );
    const noop = createNoopHandle(config, forget);
    registry[CURRENT_KEY] = noop;
    return noop;
  }
  const kafka = config.transport === 'kafka' ? startKafkaTransport(config, logger) : undefined;
  const userOptions: Sentry.NodeOptions = { ...options.sentry };
  if (kafka) userOptions.transport = kafka.factory;
  const scrubber = config.scrub ? createScrubber(config.scrub) : undefined;
  if (scrubber)
    userOptions.transport = scrubTransport(userOptions.transport ?? Sentry.makeNodeTransport, scrubber);
  let salvage: Salvage | undefined;
  const sampling = buildSampling(config, userOptions, logger, (event) => salvage?.forget(event.event_id));
  const client = Sentry.init(sentryOptions(userOptions, config, sampling.sentry));
  const restoreCapture =
    client && sampling.errorPolicy
      ? admitErrorsEarly(client, sampling.errorPolicy, {
          maxWaiting: config.maxPendingEvents,
          // Only the Kafka transport keeps events at exit (its salvage spools them).
          processAtExit: kafka !== undefined,
        })
      : undefined;
  if (kafka && client && kafka.factory.current) {
    salvage = kafka.module.salvagePendingEvents(client, kafka.factory.current, {
      // Salvaged events go to the spool without passing the transport's send(): scrub them here.
      transformEnvelope: scrubber ? (envelope) => scrubber.scrubEnvelope(envelope) : undefined,
      scopes: sentryScopes,
    });
  }
  applyRuntimeContext(Sentry.getGlobalScope(), config);
  logger.debug(
    `on: ${redactDsn(config.dsn ?? '')} (from ${config.dsnSource}), service ${config.service}, ` +
      `release ${config.release ?? '(none)'}, environment ${config.environment}`,
  );

  const flush = (timeoutMs: number) => flushWithin((t) => Sentry.flush(t), timeoutMs);
  const removeHooks = installShutdownHooks({
    flush,
    timeoutMs: config.shutdownTimeoutMs,
    handleSignals: config.handleSignals,
    onSend: (listener) => client?.on('beforeEnvelope', listener) ?? (() => undefined),
    logger,
  });

  const handle: ObservabilityHandle = {
    enabled: true,
    config,
    flush: (timeoutMs = config.shutdownTimeoutMs) => flush(timeoutMs),
    async close(timeoutMs = config.shutdownTimeoutMs) {
      removeHooks();
      forget();
      salvage?.stop();
      restoreCapture?.();
      const closed = await flushWithin((t) => Sentry.close(t), timeoutMs);
      // Sentry's close flushes the transport but does not disconnect it; the transport's own
      // close also says whether the spool's backlog reached Kafka.
      const transport = kafka?.factory.current;
      const transportClosed = transport ? await transport.close(timeoutMs).catch(() => false) : true;
      return closed && transportClosed;
    },
    stats() {
      const transport = kafka?.factory.current?.stats();
      return { errors: sampling.errorPolicy?.stats(), kafka: transport };
    },
  };
  registry[CURRENT_KEY] = handle;
  return handle;
}

function sentryOptions(
  user: Sentry.NodeOptions,
  config: ResolvedConfig,
  sampling: Partial<Sentry.NodeOptions>,
): Sentry.NodeOptions {
  const sentry: Sentry.NodeOptions = {
    ...user,
    ...sampling,
    // The SDK processes at most this many events at once and drops the rest as queue_overflow
    // before any policy sees them; the error policy decides at capture, so only kept events
    // count against it (see admitErrorsEarly).
    transportOptions: { bufferSize: config.maxPendingEvents, ...user.transportOptions },
    dsn: config.dsn,
    release: config.release,
    environment: config.environment,
    debug: config.debug,
    // Faultline flushes at shutdown itself, within its own bound.
    shutdownTimeout: config.shutdownTimeoutMs,
  };
  // Parsed once per throw site, not once per error: in a burst every error's stack is parsed at
  // capture, for the error policy's fingerprint. A parser of the user's own is left as it is.
  if (user.stackParser === undefined) sentry.stackParser = memoizeStackParser(Sentry.defaultStackParser);
  const removed = new Set<string>();
  if (config.kafkajsInstrumentation === 'faultline') removed.add('Kafka');
  // Dedupe drops an error identical to the one just before it: in a burst, all but one of the
  // first N the error policy keeps per fingerprint. The policy is the dedupe, with its count.
  if (config.sampling.errors !== false) removed.add('Dedupe');
  sentry.integrations = composeIntegrations(user.integrations, removed);
  // The trace sampler carries the rate; tracesSampleRate stays as a fallback when a user's
  // own tracesSampler is in place.
  if (config.tracesSampleRate !== undefined) sentry.tracesSampleRate = config.tracesSampleRate;
  return sentry;
}

/** The SDK's own scopes, outermost first, read through `@sentry/node` (see admit-errors-early.ts). */
function sentryScopes(): Sentry.Scope[] {
  return [Sentry.getGlobalScope(), Sentry.getIsolationScope(), Sentry.getCurrentScope()];
}

/** The Kafka transport factory for this config. */
function startKafkaTransport(
  config: ResolvedConfig,
  logger: Logger,
): {
  module: ReturnType<typeof loadKafkaTransport>;
  factory: KafkaTransportFactory;
} {
  const module = loadKafkaTransport();
  const { kafka } = config;
  // A spool that cannot be opened is not a start-up error: the transport says so once and runs
  // without its disk buffer (see makeKafkaTransport), so telemetry never stops the application.
  if (kafka.spool) noteSpoolDurability(kafka.spool.dir, logger);
  const factory = module.makeKafkaTransport({
    brokers: config.kafkaBrokers,
    topic: kafka.topic,
    clientId: kafka.clientId,
    ssl: kafka.ssl,
    sasl: kafka.sasl,
    spool: kafka.spool === false ? false : { dir: kafka.spool.dir, maxBytes: kafka.spool.maxBytes },
    logger: prefixLogger(logger, 'kafka transport: '),
  });
  return { module, factory };
}

/**
 * Says once, at start-up, when the spool will not outlive the container or the machine: what
 * waits in it during a Kafka outage is lost with it.
 */
function noteSpoolDurability(dir: string, logger: Logger): void {
  const { loses, fsType } = spoolDurability(dir);
  if (!loses) return;
  const what =
    loses === 'memory'
      ? `is on ${fsType} (memory): it is emptied at reboot and with its container`
      : `is in the container's writable layer (${fsType}): it is lost when the container is replaced`;
  logger.info(
    `spool ${dir} ${what}; envelopes waiting there for Kafka go with it. ` +
      'Point FAULTLINE_SPOOL_DIR at a persistent volume to keep them (docs/kafka-transport.md)',
  );
}

type Integrations = Sentry.NodeOptions['integrations'];

/**
 * The SDK's default integrations less those Faultline replaces (`removed`, by name), then the
 * user's own as the SDK would apply them (an array adds to or replaces defaults by name, so
 * `[Sentry.dedupeIntegration()]` brings Dedupe back; a function gets the defaults). Two defaults
 * are wrapped for their cost in bursts and per transaction: ContextLines reads a file once for a
 * burst, Context reads the memory figures at most once a second.
 */
function composeIntegrations(user: Integrations, removed: ReadonlySet<string>): Integrations {
  return (defaults) => {
    const base = defaults
      .filter((integration) => !removed.has(integration.name))
      .map((integration) => {
        if (integration.name === 'ContextLines') return shareContextLineReads(integration);
        if (integration.name === 'Context') return throttleContextMemory(integration);
        return integration;
      });
    if (typeof user === 'function') return user(base);
    if (Array.isArray(user)) {
      return [...base.filter((d) => !user.some((u) => u.name === d.name)), ...user];
    }
    return base;
  };
}
