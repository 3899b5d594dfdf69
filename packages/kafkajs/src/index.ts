export { cleanHeaders, FAULTLINE_HEADERS, headerText } from './headers.js';
export type { FailurePolicy, InstrumentConsumerOptions } from './instrument-consumer.js';
export { instrumentConsumer } from './instrument-consumer.js';
export type { InstrumentProducerOptions } from './instrument-producer.js';
export { instrumentProducer } from './instrument-producer.js';
