import { PRESAMPLE_SYMBOL, PRESAMPLED_RATE_ATTRIBUTE } from '@faultline/contract';
import {
  type Client,
  hasSpanStreamingEnabled,
  hasSpansEnabled,
  isTracingSuppressed,
  parseSampleRate,
  type Scope,
  SDK_VERSION,
  type SpanAttributes,
  type TracesSamplerSamplingContext,
} from '@sentry/core';
import { SDK_VERSION as NODE_SDK_VERSION } from '@sentry/node';

/**
 * Whether this package's `@sentry/core` is the copy `@sentry/node` runs on. Sentry keys its global
 * state (the async context that knows whether tracing is suppressed, among others) by SDK version;
 * another copy would read empty state, so then the SDK decides alone.
 */
const SHARES_SDK_STATE = SDK_VERSION === NODE_SDK_VERSION;

/** What Sentry will decide for a root span, known before paying for the span. */
export interface Presample {
  sampled: boolean;
  /** The rate a Faultline sampler chose: pass it in {@link PRESAMPLED_RATE_ATTRIBUTE}. */
  rate?: number;
}

const SAMPLED: Presample = Object.freeze({ sampled: true });
const NOT_SAMPLED: Presample = Object.freeze({ sampled: false });

/**
 * Sentry's sampling decision for a root span started now on `scope`, made the way the SDK makes it
 * (`sampleSpan`: tracing off, suppressed, the `tracesSampler`, else the parent's decision, else
 * `tracesSampleRate`, compared with the trace's `sample_rand`), so that a message whose span would
 * not be sampled costs no span at all. A negative decision is counted in the client report as
 * Sentry counts it. `undefined` when the outcome can't be known without starting the span: a user's
 * own `tracesSampler` (calling it twice would be visible to it), `ignoreSpans` with span streaming,
 * or `beforeSampling` listeners.
 */
export function presample(
  client: Client | undefined,
  scope: Scope,
  name: string,
  attributes: () => SpanAttributes,
): Presample | undefined {
  if (!client) return NOT_SAMPLED;
  if (!SHARES_SDK_STATE) return undefined;
  const options = client.getOptions();
  // Sentry makes a non-recording span and counts nothing in both cases.
  if (!hasSpansEnabled(options) || isTracingSuppressed(scope)) return NOT_SAMPLED;
  const streaming = hasSpanStreamingEnabled(client);
  // `ignoreSpans` may drop a streamed span for a reason of its own.
  if ((streaming && options.ignoreSpans?.length) || hasBeforeSamplingListeners(client)) return undefined;

  const context = scope.getPropagationContext();
  const parentSampled = context.sampled;
  const sampler = options.tracesSampler as
    | (((context: TracesSamplerSamplingContext) => unknown) & { [PRESAMPLE_SYMBOL]?: boolean })
    | undefined;
  const fromSampler = typeof sampler === 'function';
  let rate: unknown = parentSampled ?? options.tracesSampleRate;
  if (fromSampler) {
    if (sampler[PRESAMPLE_SYMBOL] !== true) return undefined;
    const parentSampleRate = parseSampleRate(context.dsc?.sample_rate);
    try {
      rate = sampler({
        name,
        attributes: attributes(),
        parentSampled,
        parentSampleRate,
        inheritOrSampleWith: (fallback) =>
          typeof parentSampleRate === 'number'
            ? parentSampleRate
            : typeof parentSampled === 'boolean'
              ? Number(parentSampled)
              : fallback,
      });
    } catch {
      return undefined;
    }
  }
  const parsed = parseSampleRate(rate);
  const sampled = parsed !== undefined && parsed > 0 && context.sampleRand < parsed;
  if (!sampled) {
    // As Sentry counts an unsampled root span: a transaction only when transactions are sent.
    if (!streaming) client.recordDroppedEvent('sample_rate', 'transaction');
    client.recordDroppedEvent('sample_rate', 'span');
  }
  // Only a sampler's rate is handed over: Sentry will ask that sampler again for the span.
  if (!fromSampler || parsed === undefined) return sampled ? SAMPLED : NOT_SAMPLED;
  return { sampled, rate: parsed };
}

/**
 * Whether anything listens to the client's `beforeSampling` hook, which may change a decision. The
 * hooks are private to the client: when their shape is not the expected one, assume there are.
 */
function hasBeforeSamplingListeners(client: Client): boolean {
  const hooks = (client as unknown as { _hooks?: Record<string, { size?: number; length?: number }> })._hooks;
  if (!hooks || typeof hooks !== 'object') return true;
  const listeners = hooks.beforeSampling;
  if (listeners === undefined) return false;
  const count = listeners.size ?? listeners.length;
  return typeof count !== 'number' || count > 0;
}
