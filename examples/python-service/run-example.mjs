// The Python service through the intake, on this machine: a Kafka broker (or the one
// FAULTLINE_KAFKA_BROKERS names), faultline-intake in front of it, service.py on Sentry's own
// Python SDK with its DSN pointed at the intake. It prints what reached the topic, and exits
// non-zero if the service's events are not all there. Without Python 3 it says so and exits 0.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseEnvelopeBytes, silentLogger } from '@faultline/contract';
import { createIntake } from '@faultline/intake';
import { createTopic, ensurePythonSdk, readTopic, startKafka, uniqueName } from '@faultline/testkit';

const python = process.env.FAULTLINE_PYTHON ?? 'python3';
if (spawnSync(python, ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('example: Python 3 is not installed, so there is no Python service to run; nothing to show');
  process.exit(0);
}
const broker = process.env.FAULTLINE_KAFKA_BROKERS ? undefined : await startKafka();
const brokers = process.env.FAULTLINE_KAFKA_BROKERS?.split(',') ?? broker.brokers;
const topic = uniqueName('example-python');
await createTopic(brokers, topic);

// The DSN Sentry gave the project goes to the intake's allow-list; the service gets the same key
// and project on the intake's host.
const upstream = 'https://4a1f0c2e9b8d7e6f5a4b3c2d1e0f9a8b@o1.ingest.sentry.io/4242';
const workDir = mkdtempSync(join(tmpdir(), 'example-intake-'));
const intake = createIntake({
  brokers,
  topic,
  dsns: [upstream],
  port: 0,
  host: '127.0.0.1',
  spool: { dir: join(workDir, 'spool') },
  logger: silentLogger,
});
await intake.start();
const dsn = `http://4a1f0c2e9b8d7e6f5a4b3c2d1e0f9a8b@127.0.0.1:${intake.port}/4242`;
console.log(
  `example: faultline-intake on port ${intake.port}; the Python service's DSN is ${dsn.replace(/\/\/\w+@/, '//<key>@')}`,
);

// Asynchronously: the intake answers the service from this same process.
const { stdout: output } = await promisify(execFile)(
  ensurePythonSdk(),
  [fileURLToPath(new URL('./service.py', import.meta.url))],
  { env: { PATH: process.env.PATH, SENTRY_DSN: dsn }, encoding: 'utf8' },
);
const captured = output
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line).captured);

const items = (messages) =>
  messages.flatMap((m) => {
    const parsed = parseEnvelopeBytes(m.value);
    return parsed.ok
      ? parsed.items.map((item) => ({ message: m, type: item.header.type, payload: item.payload }))
      : [];
  });
const events = (messages) => items(messages).filter((i) => i.type === 'event');
const messages = await readTopic(brokers, topic, (m) => events(m).length >= captured.length + 1, 20_000);
console.log(`example: the topic holds ${messages.length} envelopes from the Python service:`);
for (const { message, type, payload } of items(messages)) {
  const body = type === 'event' || type === 'transaction' ? JSON.parse(payload) : {};
  const what = body.exception?.values?.[0]?.value ?? body.message ?? body.transaction ?? '';
  console.log(
    `  ${type.padEnd(12)} ${what}  (faultline-dsn: ${message.headers['faultline-dsn']?.toString().replace(/\/\/\w+@/, '//<key>@')})`,
  );
}
await intake.stop();
await broker?.destroy();
rmSync(workDir, { recursive: true, force: true });
const ids = new Set(events(messages).map((e) => JSON.parse(e.payload).event_id));
const missing = captured.filter((id) => !ids.has(id));
console.log(
  `example: captured ${captured.length} errors and 1 message; in the topic: ${ids.size}; missing ${missing.length}`,
);
process.exit(missing.length === 0 ? 0 : 1);
