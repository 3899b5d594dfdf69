import { fixKafkaJsNegativeTimeout, fixKafkaJsOrphanConnections } from '@faultline/contract';
// @ts-expect-error KafkaJS ships no declaration for its internal modules
import BrokerPool from 'kafkajs/src/cluster/brokerPool.js';
// @ts-expect-error KafkaJS ships no declaration for its internal modules
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';

/**
 * Mends two faults of KafkaJS 2.2.4 before its first client is made: its TimeoutNegativeWarning on
 * the app's stderr (see fixKafkaJsNegativeTimeout), and a connection left open after a broker
 * restart, which keeps the process from exiting once stopped (see fixKafkaJsOrphanConnections).
 */
export function mendKafkaJs(): void {
  fixKafkaJsNegativeTimeout(RequestQueue);
  fixKafkaJsOrphanConnections(BrokerPool);
}
