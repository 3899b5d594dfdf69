import {
  baggageHeaderToDynamicSamplingContext,
  type Client,
  isContinuingTrace,
  propagationContextFromHeaders,
  type Scope,
  shouldContinueTrace,
} from '@sentry/core';
import { newTraceId } from './new-trace-id.js';

/**
 * Sets the trace a message continues on a scope of its own, as `Sentry.continueTrace` would (the
 * producer's trace from `sentry-trace` / `baggage`, or a new trace; org id checks included), but
 * without the two async-context forks `continueTrace` costs: the caller has already forked a
 * scope for the message. Without headers, a trace the scope inherited and continues is kept, as
 * `Sentry.withIsolationScope` keeps it; any other inherited trace is replaced by a new one.
 */
export function continueTraceOnScope(
  client: Client | undefined,
  scope: Scope,
  sentryTrace: string | undefined,
  baggage: string | undefined,
): void {
  if (sentryTrace === undefined) {
    if (!isContinuingTrace(scope.getPropagationContext())) {
      scope.setPropagationContext({ traceId: newTraceId(), sampleRand: Math.random() });
    }
    return;
  }
  const foreign =
    client !== undefined &&
    !shouldContinueTrace(client, baggageHeaderToDynamicSamplingContext(baggage)?.org_id);
  scope.setPropagationContext(
    foreign
      ? propagationContextFromHeaders(undefined, undefined)
      : propagationContextFromHeaders(sentryTrace, baggage),
  );
}
