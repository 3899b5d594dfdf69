import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnvelopeBytes, silentLogger } from '@faultline/contract';
import { createTopic, readTopic, uniqueName, waitUntil } from '@faultline/testkit';
import { build } from 'esbuild';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createIntake, type Intake } from '../src/index.js';

// The real @sentry/browser (bundled here with esbuild, as an app's build would) on a page in
// headless Chromium, served from another origin than the intake's: the browser itself enforces
// CORS, so a missing header fails the SDK's request the way it fails in production.
const CHROMIUM = ['chromium', 'chromium-browser', 'google-chrome'].find(
  (command) => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0,
);
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('@sentry/browser in headless Chromium', () => {
  it('sends through the intake across origins: preflight answered, the answer readable, the event in the topic', async () => {
    if (!CHROMIUM)
      throw new Error("Chromium is needed for this test (Debian's chromium package; .ci/run installs it)");
    const key = 'b0b1b2b3b4b5b6b7b8b9babbbcbdbebf';
    const upstream = `https://${key}@o1.ingest.example.com/606`;
    const topic = uniqueName('intake-browser');
    await createTopic(inject('kafkaBrokers'), topic);

    // The page's server: its own origin, the SDK bundle, and a place for the page to report to.
    const results: Array<Record<string, unknown>> = [];
    const bundle = await build({
      stdin: {
        contents: "import * as Sentry from '@sentry/browser'; window.Sentry = Sentry;",
        resolveDir: import.meta.dirname,
      },
      bundle: true,
      format: 'iife',
      write: false,
    });
    let html = '';
    const page: Server = createServer((req, res) => {
      if (req.url === '/sentry.js')
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle.outputFiles[0]?.text);
      else if (req.url === '/result') {
        let body = '';
        req
          .on('data', (chunk) => (body += chunk))
          .on('end', () => {
            results.push(JSON.parse(body));
            res.writeHead(204).end();
          });
      } else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => page.close(() => resolve())));
    const pageOrigin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;

    const dir = mkdtempSync(join(tmpdir(), 'intake-browser-'));
    // Chromium's helpers may still be writing its profile for a moment after it is killed.
    cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }));
    const intake: Intake = createIntake({
      brokers: inject('kafkaBrokers'),
      dsns: [upstream],
      topic,
      port: 0,
      host: '127.0.0.1',
      corsOrigins: [pageOrigin],
      spool: { dir: join(dir, 'spool') },
      logger: silentLogger,
    });
    await intake.start();
    cleanups.push(() => intake.stop());
    const dsn = `http://${key}@127.0.0.1:${intake.port}/606`;
    // A content type other than text/plain makes every request a non-simple one: the browser
    // sends the preflight first and sends the envelope only if it is answered.
    html = `<!doctype html><script src="/sentry.js"></script><script>
      Sentry.init({ dsn: ${JSON.stringify(dsn)}, transportOptions: { headers: { 'content-type': 'application/x-sentry-envelope' } } });
      const id = Sentry.captureException(new Error('browser failure'));
      Sentry.flush(10000).then(async (flushed) => {
        let answer;
        try {
          const res = await fetch(${JSON.stringify(`http://127.0.0.1:${intake.port}/api/606/envelope/?sentry_key=${key}`)}, {
            method: 'POST',
            headers: { 'content-type': 'application/x-sentry-envelope' },
            body: '{}\\n{"type":"event"}\\n{"message":"direct"}\\n',
          });
          answer = { status: res.status, body: await res.json() };
        } catch (error) {
          answer = { error: String(error) };
        }
        await fetch('/result', { method: 'POST', body: JSON.stringify({ id, flushed, answer }) });
      });
    </script>`;

    const browser = spawn(
      CHROMIUM,
      [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        `--user-data-dir=${join(dir, 'profile')}`,
        pageOrigin,
      ],
      // A process group of its own: the renderer and GPU helpers go with it.
      { stdio: 'ignore', detached: true },
    );
    const exited = new Promise((resolve) => browser.once('exit', resolve));
    cleanups.push(async () => {
      try {
        process.kill(-(browser.pid as number), 'SIGKILL');
      } catch {
        browser.kill('SIGKILL'); // the group is gone already
      }
      await exited; // before its profile folder is removed
    });
    await waitUntil(() => results.length > 0, { timeoutMs: 30_000, what: 'the page to report' });
    const [result] = results as Array<{
      id: string;
      flushed: boolean;
      answer: { status: number; body: { id?: string } };
    }>;
    expect(result?.flushed).toBe(true);
    // The page read the intake's answer: only possible with the CORS headers on it.
    expect(result?.answer.status).toBe(200);
    expect(intake.figures.requests['204']).toBeGreaterThanOrEqual(1); // the preflight
    const messages = await readTopic(inject('kafkaBrokers'), topic, (m) =>
      m.some((message) => message.value?.toString().includes('browser failure')),
    );
    const event = messages
      .map((m) => parseEnvelopeBytes(m.value as Buffer))
      .flatMap((p) => (p.ok ? p.items : []))
      .map((item) => JSON.parse(item.payload.toString('utf8')))
      .find((payload) => payload.exception?.values?.[0]?.value === 'browser failure');
    expect(event.event_id).toBe(result?.id);
    expect(event.platform).toBe('javascript');
  });
});
