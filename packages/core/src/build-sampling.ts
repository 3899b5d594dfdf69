import {
  createBackpressure,
  createErrorPolicy,
  createTraceSampler,
  type ErrorPolicy,
} from '@faultline/sampling';
import type { ErrorEvent, EventHint } from '@sentry/core';
import * as Sentry from '@sentry/node';
import { ADMITTED, type Admitted } from './admit-errors-early.js';
import type { Logger } from './logger.js';
import type { ResolvedConfig } from './resolve-config.js';

type SamplingOptions = Pick<Sentry.NodeOptions, 'beforeSend' | 'tracesSampler' | 'transport'>;

/**
 * The `Sentry.init` options that carry Faultline's sampling: the error policy ahead of the
 * user's own `beforeSend`, the trace sampler (unless the user brought one), and the transport
 * wrapped so backpressure sees its failures and rate limits. The policy comes back too, to run
 * at capture (see admitErrorsEarly); an event it kept there is not decided on again here.
 */
export function buildSampling(
  config: ResolvedConfig,
  userOptions: Sentry.NodeOptions,
  logger: Logger,
  onErrorDropped: (event: ErrorEvent) => void = () => undefined,
): { sentry: SamplingOptions; errorPolicy: ErrorPolicy | undefined } {
  const { sampling } = config;
  const result: SamplingOptions = {};
  let errorPolicy: ErrorPolicy | undefined;

  if (sampling.errors !== false) {
    const policy = createErrorPolicy({
      ...sampling.errors,
      logger,
      addBreadcrumb: (breadcrumb) => Sentry.addBreadcrumb(breadcrumb),
    });
    errorPolicy = policy;
    const userBeforeSend = userOptions.beforeSend;
    result.beforeSend = (event: ErrorEvent, hint: EventHint) => {
      const admitted = (hint as Record<symbol, Admitted | undefined>)[ADMITTED];
      const kept = admitted ? withSampling(event, admitted) : policy(event, hint);
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
  return { sentry: result, errorPolicy };
}

/** Puts the `sampling` context the policy added at capture on the finished event. */
function withSampling(event: ErrorEvent, admitted: Admitted): ErrorEvent {
  if (admitted.sampling) event.contexts = { ...event.contexts, sampling: admitted.sampling };
  return event;
}
