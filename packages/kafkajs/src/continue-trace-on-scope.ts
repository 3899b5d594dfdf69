import {
  baggageHeaderToDynamicSamplingContext,
  type Client,
  isContinuingTrace,
  propagationContextFromHeaders,
  type Scope,
  shouldContinueTrace,
} from '@sentry/core';

/**
 * Sets the trace a message continues on a scope of its own, as `Sentry.continueTrace` would (the
 * producer's trace from `sentry-trace` / `baggage`, or a new trace; org id checks included), but
 * without the two async-context forks `continueTrace` costs: the caller has already forked a
 * scope for the message.
 */
export function continueTraceOnScope(
  client: Client | undefined,
  scope: Scope,
  sentryTrace: string | undefined,
  baggage: string | undefined,
): void {
  // A fresh isolation scope already starts a new trace unless it inherited one to continue.
  if (sentryTrace === undefined && !isContinuingTrace(scope.getPropagationContext())) return;
  const foreign =
    sentryTrace !== undefined &&
    client !== undefined &&
    !shouldContinueTrace(client, baggageHeaderToDynamicSamplingContext(baggage)?.org_id);
  scope.setPropagationContext(
    foreign
      ? propagationContextFromHeaders(undefined, undefined)
      : propagationContextFromHeaders(sentryTrace, baggage),
  );
}
