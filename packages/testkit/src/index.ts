export type { BugsinkClient, BugsinkProject, BugsinkState, StoredEvent } from './bugsink-client.js';
export { connectBugsink } from './bugsink-client.js';
export { captureConsumers } from './capture-consumers.js';
export { createTopic } from './create-topic.js';
export { KAFKA_VERSION, kafkaJarsCached } from './ensure-kafka-jars.js';
export { ensurePythonSdk, PYTHON_SDK_VERSION } from './ensure-python-sdk.js';
export type { ByteMutation } from './envelope-arbitrary.js';
export { byteMutationArbitrary, envelopeBytesArbitrary, fc, mutateBytes } from './envelope-arbitrary.js';
export { freePort } from './free-port.js';
export { groupLag } from './group-lag.js';
export type { HostileMessage } from './hostile-messages.js';
export { hostileMessages, incompressibleEvent } from './hostile-messages.js';
export { httpStatus } from './http-status.js';
export type { IngestDouble, IngestReply, RecordedRequest } from './ingest-double.js';
export { createIngestDouble } from './ingest-double.js';
export type { ProvidedServices } from './provided-context.js';
export { readTopic } from './read-topic.js';
export type { NodeScriptResult } from './run-node-script.js';
export { runNodeScript } from './run-node-script.js';
export { type ServiceProcess, spawnService } from './service-process.js';
export type { RunningBugsink, StartBugsinkOptions } from './start-bugsink.js';
export { startBugsink } from './start-bugsink.js';
export type { FaultIngest, FaultIngestStats, IngestFault } from './start-fault-ingest.js';
export { startFaultIngest } from './start-fault-ingest.js';
export { type HttpProxy, type ProxiedRequest, startHttpProxy } from './start-http-proxy.js';
export type { KafkaBroker, SecuredListener, StartKafkaOptions } from './start-kafka.js';
export { startKafka } from './start-kafka.js';
export type {
  KafkaCluster,
  KafkaClusterNode,
  StartKafkaClusterOptions,
} from './start-kafka-cluster.js';
export { startKafkaCluster } from './start-kafka-cluster.js';
export { generateTestCertificates, type TestCertificates } from './test-certificates.js';
export { uniqueName } from './unique-name.js';
export { waitUntil } from './wait-until.js';
