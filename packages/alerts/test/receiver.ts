import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Receiver {
  url: string;
  received: { path: string; body: Record<string, unknown> }[];
  close(): void;
}

/**
 * A local HTTP receiver standing in for Slack, PagerDuty, Opsgenie or a webhook (they cannot be
 * reached from here): records each JSON request and answers with the next status given (202 after).
 * A status of 0 is no answer: the request is held open, as by a channel that hangs.
 */
export async function startReceiver(statuses: number[] = []): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      const status = statuses.shift() ?? 202;
      if (status === 0) return;
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
