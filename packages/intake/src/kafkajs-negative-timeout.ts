import { fixKafkaJsNegativeTimeout } from '@faultline/contract';
// @ts-expect-error KafkaJS ships no declaration for its internal modules
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';

/** Keeps KafkaJS's TimeoutNegativeWarning off the app's stderr (see fixKafkaJsNegativeTimeout). */
export function quietKafkaJsTimers(): void {
  fixKafkaJsNegativeTimeout(RequestQueue);
}
