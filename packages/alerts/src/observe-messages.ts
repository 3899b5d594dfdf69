import { decodeObservationsHeader, MESSAGE_HEADERS } from '@faultline/contract';
import type { KafkaMessage } from 'kafkajs';
import type { Observation } from './observations.js';
import type { ObservePool } from './observe-pool.js';

const EMPTY = Buffer.alloc(0);

/**
 * The observations of each message, in order (`undefined`: unreadable). A message whose producer
 * wrote the `faultline-observations` header (Faultline's Kafka transport does) is read from it,
 * with no parse of its envelope (counted in `counts.fromHeader`); the others, and any whose header
 * does not check out (`counts.badObservationHeaders`), are parsed by the pool.
 */
export async function observeMessages(
  pool: ObservePool,
  messages: KafkaMessage[],
  counts: { fromHeader: number; badObservationHeaders: number },
): Promise<(Observation[] | undefined)[]> {
  const results = new Array<Observation[] | undefined>(messages.length);
  const toParse: number[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as KafkaMessage;
    const header = message.headers?.[MESSAGE_HEADERS.observations];
    const read = header === undefined || Array.isArray(header) ? undefined : decodeObservationsHeader(header);
    if (read) {
      results[i] = read;
      counts.fromHeader++;
      continue;
    }
    if (header !== undefined) counts.badObservationHeaders++;
    toParse.push(i);
  }
  if (toParse.length > 0) {
    const parsed = await pool.observe(toParse.map((i) => (messages[i] as KafkaMessage).value ?? EMPTY));
    for (let k = 0; k < toParse.length; k++) results[toParse[k] as number] = parsed[k];
  }
  return results;
}
