// `@faultline/core/kafkajs`: the KafkaJS instrumentation under the package a service already has.
// Its own entry point, so that the main entry's types never name kafkajs: an HTTP-only service
// type-checks without kafkajs installed.

export type {
  FailurePolicy,
  FailureStats,
  InstrumentConsumerOptions,
  InstrumentProducerOptions,
  RetryTopicsPolicy,
} from '@faultline/kafkajs';
export { failureStats, instrumentConsumer, instrumentProducer } from '@faultline/kafkajs';
