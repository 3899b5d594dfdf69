// Runs the quickstart service (../app.mjs) as its own process, the way it runs in production:
// `node --import ./instrument.mjs app.mjs`, configured by environment variables only.
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVICE_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

/** Starts the service and resolves once it listens. Its output is shown indented under `service |`. */
export function startService(env) {
  const child = spawn(process.execPath, ['--import', './instrument.mjs', 'app.mjs'], {
    cwd: SERVICE_DIR,
    env: { PATH: process.env.PATH, ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return new Promise((resolve, reject) => {
    const show = (chunk) => {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        console.log(`    service | ${line}`);
        const listening = /listening on (http:\/\/\S+)/.exec(line);
        if (listening) resolve(serviceHandle(listening[1], child, exited));
      }
    };
    child.stdout.on('data', show);
    child.stderr.on('data', show);
    exited.then((code) => reject(new Error(`the service exited (${code}) before it listened`)));
  });
}

function serviceHandle(url, child, exited) {
  return {
    url,
    /** Faultline's counters, from the service's own /metrics endpoint. */
    async metrics() {
      const response = await fetch(`${url}/metrics`);
      return response.json();
    },
    /** SIGTERM, as an orchestrator stops a container; resolves with the exit code. */
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
