import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, TESTKIT_DIR } from './cache-dir.js';
import { runStep } from './run-step.js';

/** The broker version the suite runs against (`kafka/pom.xml` pins the same). */
export const KAFKA_VERSION = '3.9.1';

/** Whether the broker's jars are already in the cache (so starting a broker downloads nothing). */
export function kafkaJarsCached(): boolean {
  return existsSync(join(cacheDir(`kafka-${KAFKA_VERSION}`), 'libs', '.complete'));
}

/**
 * Fetches the broker's jars from Maven Central once (with `mvn`) and returns the folder holding
 * them. The folder is written under a temporary name and renamed when complete, so an
 * interrupted download is never mistaken for a cached one.
 */
export function ensureKafkaJars(): string {
  const root = cacheDir(`kafka-${KAFKA_VERSION}`);
  const libs = join(root, 'libs');
  const marker = join(libs, '.complete');
  if (existsSync(marker)) return libs;

  const partial = join(root, `libs.partial-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  runStep(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      join(TESTKIT_DIR, 'kafka', 'pom.xml'),
      'dependency:copy-dependencies',
      `-DoutputDirectory=${partial}`,
      '-DincludeScope=runtime',
    ],
    { step: `Fetching the Kafka ${KAFKA_VERSION} jars with Maven`, timeoutMs: 600_000 },
  );
  writeFileSync(join(partial, '.complete'), `${new Date().toISOString()}\n`);
  rmSync(libs, { recursive: true, force: true });
  renameSync(partial, libs);
  return libs;
}
