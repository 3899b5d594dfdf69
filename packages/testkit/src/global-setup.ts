import type { TestProject } from 'vitest/node';
import './provided-context.js';
import { startBugsink } from './start-bugsink.js';
import { startKafka } from './start-kafka.js';

/**
 * Vitest global setup for the integration project: one Kafka broker and one Bugsink server per
 * run, shared by every test (each test uses its own topic, group and Bugsink project).
 * Both are stopped, and their data removed, when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const [kafka, bugsink] = await Promise.all([startKafka(), startBugsink()]);
  // Printed so that a slow CI run shows where its time went.
  console.log(
    `[testkit] Kafka on ${kafka.brokers[0]} and Bugsink on ${bugsink.url} ready in ${Date.now() - started} ms`,
  );
  project.provide('kafkaBrokers', kafka.brokers);
  project.provide('bugsink', bugsink.state);
  return async () => {
    await Promise.all([kafka.destroy(), bugsink.stop()]);
  };
}
