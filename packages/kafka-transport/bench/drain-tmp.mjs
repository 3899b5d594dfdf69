import { fileURLToPath } from 'node:url';
import { runNodeScript, startKafka } from '@faultline/testkit';

const broker = await startKafka();
for (let i = 0; i < 3; i++) {
  const r = await runNodeScript(fileURLToPath(new URL('./drain-rate.mjs', import.meta.url)), {
    env: { ...process.env, BROKERS: JSON.stringify(broker.brokers) },
    timeoutMs: 600_000,
  });
  console.log(r.stdout.trim() || r.stderr.slice(-800));
}
await broker.destroy();
