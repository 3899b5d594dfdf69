/**
 * How the KafkaJS instrumentation and the trace sampler agree on one decision per message: a
 * sampler marked with this symbol accepts a rate decided before the span exists, given in
 * {@link PRESAMPLED_RATE_ATTRIBUTE}, and returns it as it is. In the contract because two
 * packages that do not depend on each other must name the same symbol and attribute.
 */
export const PRESAMPLE_SYMBOL = Symbol.for('faultline.traceSampler.presample');
/** See {@link PRESAMPLE_SYMBOL}. */
export const PRESAMPLED_RATE_ATTRIBUTE = 'faultline.presampled_rate';
