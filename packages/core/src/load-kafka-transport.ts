import { createRequire } from 'node:module';
import { ConfigError } from '@faultline/contract';

type KafkaTransportModule = typeof import('@faultline/kafka-transport');

/**
 * Loads `@faultline/kafka-transport` only when the Kafka transport is chosen, so services on
 * HTTP need not install kafkajs. Throws a ConfigError naming what to install.
 */
export function loadKafkaTransport(): KafkaTransportModule {
  const require = createRequire(import.meta.url);
  try {
    return require('@faultline/kafka-transport') as KafkaTransportModule;
  } catch (error) {
    throw new ConfigError([
      {
        source: 'FAULTLINE_TRANSPORT',
        value: 'kafka',
        expected: `the kafkajs package to be installed next to @faultline/core (${(error as Error).message.split('\n')[0]})`,
      },
    ]);
  }
}
