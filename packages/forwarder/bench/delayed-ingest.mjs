// A Sentry envelope endpoint in a process of its own that answers after DELAY_MS, as an ingest
// tens of milliseconds away would, and answers 503 to FAIL_RATE of requests. It keeps the time
// each event id first arrived, for latency. Run by forwarder.bench.ts; prints its port.
import { createServer } from 'node:http';

let delayMs = Number(process.env.DELAY_MS ?? 0);
let failRate = Number(process.env.FAIL_RATE ?? 0);
let requests = 0;
let accepted = 0;
const arrivals = new Map();

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.end(JSON.stringify({ requests, accepted, arrivals: Object.fromEntries(arrivals) }));
    return;
  }
  if (req.method === 'POST' && req.url === '/configure') {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const settings = JSON.parse(text);
      delayMs = settings.delayMs ?? delayMs;
      failRate = settings.failRate ?? failRate;
      if (settings.reset) {
        requests = 0;
        accepted = 0;
        arrivals.clear();
      }
      res.end('{}');
    });
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    requests++;
    const fail = Math.random() < failRate;
    if (!fail) {
      accepted++;
      const body = Buffer.concat(chunks);
      const id = /"event_id":"([0-9a-f]{32})"/.exec(body.subarray(0, 200).toString())?.[1];
      if (id && !arrivals.has(id)) arrivals.set(id, Date.now());
    }
    setTimeout(
      () => res.writeHead(fail ? 503 : 200, { 'content-type': 'application/json' }).end('{}'),
      delayMs,
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));
