import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ensureKafkaJars } from './ensure-kafka-jars.js';
import { freePort } from './free-port.js';
import { quietKafkaJsTimers } from './kafkajs-negative-timeout.js';
import type { ServiceProcess } from './service-process.js';
import {
  brokerIds,
  type KafkaNodeFiles,
  prepareKafkaNode,
  serverProperties,
  spawnKafkaNode,
} from './start-kafka.js';
import { tailFile } from './tail.js';
import { waitUntil } from './wait-until.js';

export interface StartKafkaClusterOptions {
  /** Nodes, each a broker and a controller (a KRaft quorum of all of them). Default: 3. */
  nodes?: number;
  /** JVM heap of each node. Default: `320m` (three share a 2-core machine). */
  heap?: string;
  /** Partitions of auto-created topics. Default: 1. */
  partitions?: number;
  /** Bound on start-up, jar download excluded. Default: 120 000 ms. */
  startTimeoutMs?: number;
}

export interface KafkaClusterNode {
  readonly id: number;
  /** This node's bootstrap address. */
  readonly address: string;
  readonly logFile: string;
  /** Hard crash (SIGKILL), as a lost machine. The data stays. */
  kill(): Promise<void>;
  /** Starts the node again on its data, and waits until the cluster lists it. */
  start(): Promise<void>;
}

export interface KafkaCluster {
  /** Bootstrap addresses of every node. */
  readonly brokers: string[];
  readonly nodes: KafkaClusterNode[];
  /** The node id leading a partition now. */
  leaderOf(topic: string, partition: number): Promise<number>;
  destroy(): Promise<void>;
}

/**
 * Starts a real Apache Kafka cluster on 127.0.0.1 as managed Kafka runs it: `nodes` KRaft nodes
 * (each broker and controller), every topic replicated to all of them by default with
 * `min.insync.replicas` one less (3 and 2 for three nodes), internal topics included. Resolves once
 * every broker is in the cluster's metadata.
 */
export async function startKafkaCluster(options: StartKafkaClusterOptions = {}): Promise<KafkaCluster> {
  quietKafkaJsTimers();
  const { nodes: count = 3, heap = '320m', partitions = 1, startTimeoutMs = 120_000 } = options;
  const libs = ensureKafkaJars();
  const root = mkdtempSync(join(tmpdir(), 'faultline-kafka-cluster-'));
  const ports: { broker: number; controller: number }[] = [];
  for (let i = 0; i < count; i++) ports.push({ broker: await freePort(), controller: await freePort() });
  const voters = ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controller}`).join(',');
  const brokers = ports.map((p) => `127.0.0.1:${p.broker}`);

  const nodes = ports.map((p, i) => {
    const id = i + 1;
    const runDir = join(root, `node-${id}`);
    mkdirSync(runDir);
    const properties = join(runDir, 'server.properties');
    writeFileSync(
      properties,
      serverProperties({
        runDir,
        nodeId: id,
        brokerPort: p.broker,
        controllerPort: p.controller,
        voters,
        partitions,
        replication: count,
      }),
    );
    const files: KafkaNodeFiles = prepareKafkaNode(libs, runDir, properties);
    return { id, address: brokers[i] as string, logFile: join(runDir, 'broker.log'), files };
  });

  const running = new Map<number, ServiceProcess>();
  const launch = (node: (typeof nodes)[number]) =>
    running.set(node.id, spawnKafkaNode(node.files, heap, node.logFile));
  const waitForBrokers = (ids: number[], what: string) =>
    waitUntil(
      async () => {
        const listed = await brokerIds(brokers);
        return ids.every((id) => listed.includes(id)) || undefined;
      },
      {
        what,
        timeoutMs: startTimeoutMs,
        intervalMs: 500,
        describeFailure: () => nodes.map((n) => `node ${n.id}:\n${tailFile(n.logFile)}`).join('\n'),
      },
    );

  // A quorum needs a majority of controllers up: all start at once.
  for (const node of nodes) launch(node);
  try {
    await waitForBrokers(
      nodes.map((n) => n.id),
      `a Kafka cluster of ${count} on ${brokers.join(', ')}`,
    );
  } catch (error) {
    await Promise.all([...running.values()].map((p) => p.stop('SIGKILL')));
    throw error;
  }

  return {
    brokers,
    nodes: nodes.map((node) => ({
      id: node.id,
      address: node.address,
      logFile: node.logFile,
      async kill() {
        await running.get(node.id)?.stop('SIGKILL');
        running.delete(node.id);
      },
      async start() {
        launch(node);
        await waitForBrokers([node.id], `node ${node.id} back in the cluster`);
      },
    })),
    async leaderOf(topic, partition) {
      const admin = new Kafka({
        brokers,
        clientId: 'faultline-testkit-leader',
        logLevel: logLevel.NOTHING,
      }).admin();
      await admin.connect();
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        const found = topics[0]?.partitions.find((p) => p.partitionId === partition);
        if (!found) throw new Error(`no partition ${partition} of ${topic}`);
        return found.leader;
      } finally {
        await admin.disconnect();
      }
    },
    async destroy() {
      await Promise.all([...running.values()].map((p) => p.stop('SIGTERM', 5000)));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
