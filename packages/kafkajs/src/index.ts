export { PRESAMPLE_SYMBOL, PRESAMPLED_RATE_ATTRIBUTE } from '@faultline/contract';
export type { FailurePolicy, FailureStats, RetryTopicsPolicy } from './handle-failure.js';
export { cleanHeaders, FAULTLINE_HEADERS, headerText } from './headers.js';
export type { InstrumentConsumerOptions } from './instrument-consumer.js';
export { failureStats, instrumentConsumer } from './instrument-consumer.js';
export type { InstrumentProducerOptions } from './instrument-producer.js';
export { instrumentProducer } from './instrument-producer.js';
