// One measured server in a process of its own: the intake (`intake`, from the built package), or
// the baseline (`baseline`: a minimal node:http server that reads the body, parses the envelope
// header line and produces the bytes with KafkaJS, acks from all replicas, batched the same way:
// 2 ms linger, up to 900 KB a request). Prints {"port": n} when listening; on SIGTERM prints its
// peak RSS and exits.

import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@faultline/contract';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { createIntake } from '../dist/index.js';

const [mode] = process.argv.slice(2);
const brokers = process.env.BROKERS.split(',');
const topic = process.env.TOPIC;
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
let stop;
let port;

if (mode === 'intake') {
  const intake = createIntake({
    brokers,
    topic,
    dsns: [process.env.DSN],
    port: 0,
    host: '127.0.0.1',
    spool: { dir: join(mkdtempSync(join(tmpdir(), 'bench-intake-')), 'spool') },
    logger: silentLogger,
  });
  await intake.start();
  port = intake.port;
  stop = () => intake.stop();
} else {
  const producer = new Kafka({ brokers, clientId: 'bench-baseline', logLevel: logLevel.NOTHING }).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  let batch = [];
  let bytes = 0;
  let timer;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const sending = batch;
    batch = [];
    bytes = 0;
    producer.send({ topic, acks: -1, messages: sending.map((p) => p.message) }).then(
      () => {
        for (const p of sending) p.res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      },
      () => {
        for (const p of sending) p.res.writeHead(503).end();
      },
    );
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const value = Buffer.concat(chunks);
      const header = JSON.parse(value.subarray(0, value.indexOf(10)).toString());
      batch.push({ res, message: { key: String(header.event_id ?? ''), value } });
      bytes += value.length;
      if (bytes >= 900_000) flush();
      else timer ??= setTimeout(flush, 2);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = server.address().port;
  stop = async () => {
    server.close();
    await producer.disconnect();
  };
}
console.log(JSON.stringify({ port }));
process.once('SIGTERM', async () => {
  clearInterval(sampler);
  await stop();
  console.log(JSON.stringify({ peakRssMb: Math.round(peak / 1024 / 1024) }));
  process.exit(0);
});
