// The pipeline around the service, on this machine: a real Apache Kafka broker (started as the
// test kit starts it), a local Sentry-protocol sink (unless SENTRY_DSN names a real project), and
// the Faultline forwarder between the envelope topic and the sink.
import { spawnSync } from 'node:child_process';
import { createForwarder } from '@faultline/forwarder';
import {
  createIngestDouble,
  createTopic,
  KAFKA_VERSION,
  kafkaJarsCached,
  startKafka,
} from '@faultline/testkit';

export const TOPIC = 'sentry-envelopes';

/** Why the local broker cannot run here, or undefined when it can. */
export function brokerUnavailable() {
  if (spawnSync('java', ['-version']).status !== 0) return 'Java 17 is not installed';
  if (!kafkaJarsCached() && spawnSync('mvn', ['-v']).status !== 0) {
    return 'Maven is not installed (it fetches the Kafka jars once)';
  }
  return undefined;
}

export async function startBroker(say) {
  if (!kafkaJarsCached()) {
    say(
      `fetching the Apache Kafka ${KAFKA_VERSION} jars with Maven, once (about a minute; cached in .cache/)`,
    );
  }
  const started = Date.now();
  const broker = await startKafka({ heap: '384m' });
  await createTopic(broker.brokers, TOPIC, 3);
  say(`Kafka ${KAFKA_VERSION} (KRaft) on ${broker.brokers[0]}, topic ${TOPIC}, up in ${seconds(started)}`);
  return broker;
}

/** A local sink speaking Sentry's envelope endpoint, recording what it receives. */
export async function startSink(say) {
  const sink = await createIngestDouble();
  say(`a local Sentry-protocol sink on ${sink.url}`);
  return sink;
}

export async function startForwarder(brokers, dsn, say) {
  const forwarder = createForwarder({
    brokers,
    topic: TOPIC,
    groupId: 'faultline-forwarder',
    allowedDsns: [dsn],
    // Its warnings belong to the story (an outage, a retry); routine lines do not.
    logLevel: 'warn',
    logger: {
      debug: () => undefined,
      info: () => undefined,
      warn: (message) => console.log(`    forwarder | ${message}`),
      error: (message) => console.log(`    forwarder | ${message}`),
    },
  });
  await forwarder.start();
  say(`the forwarder consumes ${TOPIC} and delivers to ${new URL(dsn).host}`);
  return forwarder;
}

export function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
