import type { BugsinkState } from './bugsink-client.js';

/** What the integration project's global setup provides to tests (`inject('kafkaBrokers')`...). */
export interface ProvidedServices {
  /** Bootstrap addresses of the run's one Kafka broker. */
  kafkaBrokers: string[];
  /** How to reach the run's Bugsink server: `connectBugsink(inject('bugsink'))`. */
  bugsink: BugsinkState;
}

declare module 'vitest' {
  export interface ProvidedContext extends ProvidedServices {}
}
