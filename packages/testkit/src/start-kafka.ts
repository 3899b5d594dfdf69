import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ensureKafkaJars } from './ensure-kafka-jars.js';
import { freePort } from './free-port.js';
import { quietKafkaJsTimers } from './kafkajs-negative-timeout.js';
import { runStep } from './run-step.js';
import { type ServiceProcess, spawnService } from './service-process.js';
import { tailFile } from './tail.js';
import { generateTestCertificates, type TestCertificates } from './test-certificates.js';
import { waitUntil } from './wait-until.js';

export interface StartKafkaOptions {
  /** Broker JVM heap. Default: `512m` (the machine is shared). */
  heap?: string;
  /** Partitions of auto-created topics. Default: 1. */
  partitions?: number;
  /** Bound on start-up, jar download excluded. Default: 90 000 ms. */
  startTimeoutMs?: number;
  /** Fixed ports, for a test that points a client at a broker before it starts. Default: free ports. */
  ports?: { broker: number; controller: number };
  /**
   * A second listener as managed Kafka has: SASL over TLS (a CA made for the run), with PLAIN,
   * SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER (unsecured JWTs, Kafka's default validator). The
   * plaintext listener stays, for the test's own admin. Default: false.
   */
  secured?: boolean;
}

/** The SASL_SSL listener of a broker started with `secured: true`. */
export interface SecuredListener {
  /** Bootstrap addresses of the SASL_SSL listener. */
  readonly brokers: string[];
  /** PEM of the CA that signed the broker's certificate. */
  readonly caFile: string;
  /** A user every password mechanism accepts (PLAIN and both SCRAMs). */
  readonly username: string;
  readonly password: string;
  /** An unsigned JWT the broker's default OAUTHBEARER validator accepts, valid for an hour. */
  oauthToken(subject?: string): string;
}

export interface KafkaBroker {
  /** Bootstrap addresses for KafkaJS, e.g. `['127.0.0.1:40123']`. */
  readonly brokers: string[];
  /** With `secured: true`: the SASL_SSL listener. */
  readonly secured?: SecuredListener;
  readonly logFile: string;
  /** Graceful stop (SIGTERM, controlled shutdown). The data stays, so `start()` resumes it. */
  stop(): Promise<void>;
  /** Hard crash (SIGKILL), as in an outage. The data stays. */
  kill(): Promise<void>;
  /**
   * Freezes the broker (SIGSTOP), as a long GC pause or a hung host does: its connections stay
   * open and nothing answers on them. `thaw()` lets it go on (SIGCONT).
   */
  freeze(): void;
  thaw(): void;
  /** Starts the broker again on the same ports and data, and waits until it serves. */
  start(): Promise<void>;
  /** Stops the broker and deletes its data. */
  destroy(): Promise<void>;
}

// Any valid id works: 16 bytes, base64url. This one is the usual test default.
export const CLUSTER_ID = '4L6g3nShT-eMCtK--X86sw';

/**
 * Starts a real single-node Apache Kafka (KRaft, combined broker and controller) on 127.0.0.1
 * with free ports, from jars fetched with Maven, and resolves once a client can describe the
 * cluster. Fails with the broker's log tail instead of hanging.
 */
export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaBroker> {
  quietKafkaJsTimers();
  const { heap = '512m', partitions = 1, startTimeoutMs = 90_000 } = options;
  const libs = ensureKafkaJars();
  const runDir = mkdtempSync(join(tmpdir(), 'faultline-kafka-'));
  const { broker: brokerPort, controller: controllerPort } = options.ports ?? {
    broker: await freePort(),
    controller: await freePort(),
  };
  const brokers = [`127.0.0.1:${brokerPort}`];
  const properties = join(runDir, 'server.properties');
  const logFile = join(runDir, 'broker.log');
  const securedPort = options.secured ? await freePort() : undefined;
  const certificates = securedPort ? generateTestCertificates(join(runDir, 'tls')) : undefined;

  writeFileSync(
    properties,
    serverProperties({
      runDir,
      nodeId: 1,
      brokerPort,
      controllerPort,
      voters: `1@127.0.0.1:${controllerPort}`,
      partitions,
      replication: 1,
      // One node: nothing to fail over to, so a short session only makes restarts after a kill
      // quicker (the election tests use the cluster, with Kafka's default).
      brokerSessionTimeoutMs: 3000,
      secured: securedPort && certificates ? { port: securedPort, ...certificates } : undefined,
    }),
  );
  const formatArgs = securedPort
    ? ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => [
        '--add-scram',
        `${m}=[name=${SECURED_USER},password=${SECURED_PASSWORD}]`,
      ])
    : [];
  const node = prepareKafkaNode(libs, runDir, properties, formatArgs);
  const secured: SecuredListener | undefined =
    securedPort && certificates
      ? {
          brokers: [`127.0.0.1:${securedPort}`],
          caFile: certificates.caFile,
          username: SECURED_USER,
          password: SECURED_PASSWORD,
          oauthToken: unsecuredJwt,
        }
      : undefined;

  let process_: ServiceProcess | undefined;

  async function start(): Promise<void> {
    const service = spawnKafkaNode(node, heap, logFile);
    process_ = service;
    let exitedEarly: number | NodeJS.Signals | undefined;
    void service.exited.then((code) => {
      exitedEarly = code;
    });
    await waitUntil(
      async () => {
        if (exitedEarly !== undefined) {
          throw new Error(`the broker exited with ${exitedEarly}`);
        }
        return (await brokerIds(brokers)).length > 0 || undefined;
      },
      {
        what: `the Kafka broker on ${brokers[0]}`,
        timeoutMs: startTimeoutMs,
        intervalMs: 300,
        describeFailure: () => tailFile(logFile),
      },
    ).catch(async (error: Error) => {
      await service.stop('SIGKILL');
      throw error;
    });
  }

  await start();

  return {
    brokers,
    secured,
    logFile,
    start,
    async stop() {
      await process_?.stop('SIGTERM');
    },
    async kill() {
      await process_?.stop('SIGKILL');
    },
    freeze() {
      process_?.child.kill('SIGSTOP');
    },
    thaw() {
      process_?.child.kill('SIGCONT');
    },
    async destroy() {
      process_?.child.kill('SIGCONT'); // a frozen broker would not hear the SIGTERM
      await process_?.stop('SIGTERM');
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

/** A node's files, formatted: what `spawnKafkaNode` starts (again, on the same data). */
export interface KafkaNodeFiles {
  runDir: string;
  properties: string;
  classpath: string;
  logFlag: string;
}

/** Writes the log4j file and formats the node's storage with the shared cluster id. */
export function prepareKafkaNode(
  libs: string,
  runDir: string,
  properties: string,
  formatArgs: string[] = [],
): KafkaNodeFiles {
  const log4j = join(runDir, 'log4j.properties');
  writeFileSync(log4j, LOG4J_PROPERTIES);
  const node = { runDir, properties, classpath: `${libs}/*`, logFlag: `-Dlog4j.configuration=file:${log4j}` };
  runStep(
    'java',
    [
      '-Xmx256m',
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      node.logFlag,
      '-cp',
      node.classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      CLUSTER_ID,
      '-c',
      properties,
      '--ignore-formatted',
      ...formatArgs,
    ],
    { step: 'Formatting the Kafka storage directory', timeoutMs: 60_000 },
  );
  return node;
}

/** Starts the node's JVM; its output goes to `logFile`. */
export function spawnKafkaNode(node: KafkaNodeFiles, heap: string, logFile: string): ServiceProcess {
  return spawnService(
    'java',
    [
      `-Xms${heap}`,
      `-Xmx${heap}`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      node.logFlag,
      `-Dkafka.logs.dir=${join(node.runDir, 'logs')}`,
      '-cp',
      node.classpath,
      'kafka.Kafka',
      node.properties,
    ],
    { logFile },
  );
}

/** The broker ids the cluster's metadata lists now (none when no node answers). */
export async function brokerIds(brokers: string[]): Promise<number[]> {
  const admin = new Kafka({
    brokers,
    clientId: 'faultline-testkit-probe',
    logLevel: logLevel.NOTHING,
    connectionTimeout: 500,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.map((b) => b.nodeId);
  } catch {
    return [];
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** One node of a KRaft cluster: broker and controller in one process. */
export interface NodeProperties {
  runDir: string;
  nodeId: number;
  brokerPort: number;
  controllerPort: number;
  /** `id@host:port` of every controller, this node's included. */
  voters: string;
  partitions: number;
  /** Replicas of every topic (and of the internal ones); `min.insync.replicas` is one less, at least 1. */
  replication: number;
  /** A SASL_SSL listener on this port, with this keystore. */
  secured?: { port: number } & TestCertificates;
  /**
   * How long the controller waits for a broker's heartbeat before it fences it. A broker killed
   * and started again cannot register until its old incarnation is fenced, and its registration
   * retries back off to 6 s apart, so Kafka's 9 s default holds each restart 12 s. @default 9000
   */
  brokerSessionTimeoutMs?: number;
}

export function serverProperties(p: NodeProperties): string {
  const minIsr = Math.max(1, p.replication - 1);
  const secured = p.secured;
  const extraListener = secured ? `,SASL_SSL://127.0.0.1:${secured.port}` : '';
  return `process.roles=broker,controller
node.id=${p.nodeId}
controller.quorum.voters=${p.voters}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:${p.brokerPort},CONTROLLER://127.0.0.1:${p.controllerPort}${extraListener}
advertised.listeners=PLAINTEXT://127.0.0.1:${p.brokerPort}${extraListener}
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${secured ? ',SASL_SSL:SASL_SSL' : ''}
${secured ? securedListenerProperties(secured) : ''}log.dirs=${join(p.runDir, 'data')}
offsets.topic.replication.factor=${p.replication}
# The default of 50 partitions makes the first group join slow.
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=${p.replication}
transaction.state.log.min.isr=${minIsr}
transaction.state.log.num.partitions=1
num.partitions=${p.partitions}
default.replication.factor=${p.replication}
min.insync.replicas=${minIsr}
# The default adds 3 s to every new group's first join.
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
num.network.threads=2
num.io.threads=2
log.flush.interval.messages=9223372036854775807
${
  p.brokerSessionTimeoutMs === undefined
    ? ''
    : `broker.session.timeout.ms=${p.brokerSessionTimeoutMs}
# Several heartbeats per session, so a busy machine does not fence a live broker.
broker.heartbeat.interval.ms=${Math.max(250, Math.floor(p.brokerSessionTimeoutMs / 8))}
`
}`;
}

export const LOG4J_PROPERTIES = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
`;

const SECURED_USER = 'faultline';
const SECURED_PASSWORD = 'faultline-test-secret';

function securedListenerProperties(secured: { port: number } & TestCertificates): string {
  const prefix = 'listener.name.sasl_ssl';
  return `${prefix}.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
${prefix}.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${SECURED_USER}="${SECURED_PASSWORD}";
${prefix}.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
${prefix}.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
${prefix}.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker";
${prefix}.ssl.keystore.type=PKCS12
${prefix}.ssl.keystore.location=${secured.keystoreFile}
${prefix}.ssl.keystore.password=${secured.keystorePassword}
${prefix}.ssl.key.password=${secured.keystorePassword}
`;
}

/** An unsigned JWT (`alg: none`), which Kafka's default OAUTHBEARER validator accepts. */
function unsecuredJwt(subject = 'faultline'): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none' })}.${part({ sub: subject, iat: now, exp: now + 3600 })}.`;
}
