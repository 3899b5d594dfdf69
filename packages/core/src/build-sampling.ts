import { createBackpressure, createErrorPolicy, createTraceSampler } from '@faultline/sampling';
import type { ErrorEvent, EventHint } from '@sentry/core';
import * as Sentry from '@sentry/node';
import type { Logger } from './logger.js';
import type { ResolvedConfig } from './resolve-config.js';

/**
 * The `Sentry.init` options that carry Faultline's sampling: the error policy ahead of the
 * user's own `beforeSend`, the trace sampler (unless the user brought one), and the transport
 * wrapped so backpressure sees its failures and rate limits.
 */
export function buildSampling(
  config: ResolvedConfig,
  userOptions: Sentry.NodeOptions,
  logger: Logger,
  onErrorDropped: (event: ErrorEvent) => void = () => undefined,
): Pick<Sentry.NodeOptions, 'beforeSend' | 'tracesSampler' | 'transport'> {
  const { sampling } = config;
  const result: Pick<Sentry.NodeOptions, 'beforeSend' | 'tracesSampler' | 'transport'> = {};

  if (sampling.errors !== false) {
    const policy = createErrorPolicy({
      ...sampling.errors,
      log: (message) => logger.warn(message),
      addBreadcrumb: (breadcrumb) => Sentry.addBreadcrumb(breadcrumb),
    });
    const userBeforeSend = userOptions.beforeSend;
    result.beforeSend = (event: ErrorEvent, hint: EventHint) => {
      const kept = policy(event, hint);
      if (kept === null) {
        onErrorDropped(event);
        return null;
      }
      return userBeforeSend ? userBeforeSend(kept, hint) : kept;
    };
  } else if (userOptions.beforeSend) {
    result.beforeSend = userOptions.beforeSend;
  }

  const backpressure = sampling.backpressure ? createBackpressure() : undefined;
  if (backpressure) {
    result.transport = backpressure.wrapTransport(userOptions.transport ?? Sentry.makeNodeTransport);
  }

  if (userOptions.tracesSampler) {
    result.tracesSampler = userOptions.tracesSampler;
  } else if (sampling.traces.enabled) {
    const { rate, rules, targetPerMinute, healthCheckRate } = sampling.traces;
    result.tracesSampler = createTraceSampler({
      rate,
      rules,
      healthChecks: healthCheckRate === undefined ? {} : { rate: healthCheckRate },
      target: targetPerMinute === undefined ? undefined : { perMinute: targetPerMinute },
      backpressure,
    });
  }
  return result;
}
