// Runs the quickstart service. With SENTRY_DSN set it sends there; without, it starts a local
// Sentry-protocol sink (Spotlight, in this process) and prints every envelope item that arrives.
import { spawn } from 'node:child_process';
import { parseEnvelope } from '@sentry/core';

const EXPECTED = ['an error event', 'a message event', 'spans'];
const TIMEOUT_MS = 15_000;

function runService(env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', './instrument.mjs', 'app.mjs'], {
      cwd: import.meta.dirname,
      env,
      stdio: 'inherit',
    });
    child.once('close', (code) => resolve(code ?? 1));
  });
}

if (process.env.SENTRY_DSN) {
  console.log('demo: SENTRY_DSN is set, sending there');
  process.exit(await runService(process.env));
}

const { setupSpotlight } = await import('@spotlightjs/spotlight');
const seen = new Set();
const server = await setupSpotlight({
  port: 0,
  isStandalone: true,
  // Spotlight's own chatter (it notes that the SDK sends no Content-Type) is not the demo's point.
  logger: { info() {}, debug() {}, warn() {}, error: (message) => console.error(`spotlight: ${message}`) },
  incomingPayload: (body) => {
    for (const line of describe(Buffer.from(body, 'binary'))) console.log(`  received ${line}`);
  },
});
await new Promise((resolve) => (server.listening ? resolve() : server.once('listening', resolve)));
const { port } = server.address();
console.log(`demo: no SENTRY_DSN, using a local Sentry-protocol sink on 127.0.0.1:${port}`);

const code = await runService({ ...process.env, SENTRY_DSN: `http://quickstart@127.0.0.1:${port}/1` });
const deadline = Date.now() + TIMEOUT_MS;
while (seen.size < EXPECTED.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
server.closeAllConnections();
server.close();

const missing = EXPECTED.filter((what) => !seen.has(what));
if (code !== 0 || missing.length > 0) {
  console.error(`demo: FAILED (service exit ${code}; missing: ${missing.join(', ') || 'nothing'})`);
  process.exit(1);
}
console.log(`demo: OK, the sink received ${EXPECTED.join(', ')}`);
process.exit(0);

/** One line per envelope item: its type and what it says. */
function describe(bytes) {
  const [, items] = parseEnvelope(new Uint8Array(bytes));
  return items.map(([header, payload]) => {
    if (header.type === 'event') {
      const context = `(release ${payload.release}, service ${payload.tags?.service})`;
      const message = payload.message ?? payload.logentry?.message;
      if (message) {
        seen.add('a message event');
        return `event       ${payload.level}: ${message} ${context}`;
      }
      const exception = payload.exception?.values?.[0];
      seen.add('an error event');
      return `event       ${payload.level}: ${exception?.type}: ${exception?.value} ${context}`;
    }
    if (header.type === 'span') {
      seen.add('spans');
      const names = (payload.items ?? []).map((span) => span.name).join(', ');
      return `span        ${payload.items?.length ?? 0} span(s): ${names}`;
    }
    if (header.type === 'session' || header.type === 'sessions')
      return `${header.type.padEnd(11)} release health`;
    if (header.type === 'client_report') {
      return `client_report ${JSON.stringify(payload.discarded_events ?? [])}`;
    }
    return `${header.type}`;
  });
}
