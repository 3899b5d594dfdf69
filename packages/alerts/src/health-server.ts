import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `/healthz` (the process answers) and `/readyz` (the instance has joined its group and, if it is
 * the active one, has rebuilt its state from the topic), for container probes.
 */
export async function startHealthServer(port: number, isReady: () => boolean): Promise<HealthServer> {
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200).end('ok');
    } else if (req.url === '/readyz') {
      const ready = isReady();
      res.writeHead(ready ? 200 : 503).end(ready ? 'ready' : 'not ready');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
