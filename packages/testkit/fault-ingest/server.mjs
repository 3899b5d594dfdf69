// A Sentry envelope endpoint that fails the way real ingests and their load balancers do, in a
// process of its own (so its work is charged to neither side of a measurement). Started by
// startFaultIngest(); it prints `ingest <port> control <port>` and is steered over the control
// port, which stays up while the ingest port is down.
//
// Faults, each for a share of requests (`rate`, default all) and optionally one request class
// (`projects`: the project ids of the path):
//   status  answer `status` (with `headers`) at once, as a load balancer does, or after the
//           round trip (`after: 'delay'`); `storm: { everyMs, forMs, offsetMs }` limits it to
//           periodic windows
//   hang    never answer; the connection stays open until the client gives up
//   reset   read the request, then reset the connection (RST) without an answer
//   down    at `afterMs`, close the port and every connection for `forMs` (connections refused)
// Successes take `delayMs` (the round trip). Times count from the first request after a configure.
// Shares are drawn from a generator seeded at each configure (`seed`, default 1), so a run sees
// the same sequence of faults: a 1% fault cannot, by chance, miss all 600 requests of a test.
import { createServer } from 'node:http';

let config = { delayMs: 0, faults: [] };
let stats;
let random;
let armedAt;
let downTimers = [];
const sockets = new Set();

/** mulberry32: a small seeded generator, uniform enough for fault shares. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function reset() {
  armedAt = undefined;
  random = seeded(config.seed ?? 1);
  for (const timer of downTimers) clearTimeout(timer);
  downTimers = [];
  stats = {
    requests: 0,
    byOutcome: {},
    accepted: 0,
    firstAcceptAt: undefined,
    lastNewAt: undefined,
    unique: 0,
    // unique acceptances per 100 ms since armedAt
    timeline: [],
    storms: [],
    down: [],
    rateLimits: { answered: 0, violations: 0, late: 0, worstMs: 0 },
  };
  ids.clear();
  limitedUntil.clear();
}
const ids = new Map();
/** Per project: [answeredAt, until] of the last 429 answered. */
const limitedUntil = new Map();

const count = (outcome) => {
  stats.byOutcome[outcome] = (stats.byOutcome[outcome] ?? 0) + 1;
};
const since = () => Date.now() - armedAt;
const inStorm = (storm) => {
  if (!storm) return true;
  const t = since() - (storm.offsetMs ?? 0);
  return t >= 0 && t % storm.everyMs < storm.forMs;
};

function arm() {
  armedAt = Date.now();
  for (const fault of config.faults) {
    if (fault.kind === 'down') {
      downTimers.push(
        setTimeout(() => {
          const at = since();
          ingest.close();
          for (const socket of sockets) socket.destroy();
          downTimers.push(
            setTimeout(() => {
              ingest.listen(ingestPort, '127.0.0.1');
              stats.down.push([at, since()]);
            }, fault.forMs),
          );
        }, fault.afterMs),
      );
    }
    if (fault.storm) {
      for (let start = fault.storm.offsetMs ?? 0; start < 600_000; start += fault.storm.everyMs)
        stats.storms.push([start, start + fault.storm.forMs]);
    }
  }
}

function pick(projectId) {
  for (const fault of config.faults) {
    if (fault.kind === 'down') continue;
    if (fault.projects && !fault.projects.includes(projectId)) continue;
    if (!inStorm(fault.storm)) continue;
    if (random() < (fault.rate ?? 1)) return fault;
  }
  return undefined;
}

const ingest = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (armedAt === undefined) arm();
    stats.requests++;
    const projectId = /^\/api\/(\d+)\//.exec(req.url ?? '')?.[1] ?? '';
    const now = Date.now();
    // A limit is broken by a request sent after the client read the 429 and before its
    // Retry-After ran out. Certain on the connection that carried the 429 (HTTP/1.1 reuses a
    // connection only once its answer was read); on other connections, a request arriving over
    // 200 ms after the 429 was answered could not have been on its way already.
    const limited = limitedUntil.get(projectId);
    const own = req.socket.faultLimited;
    if (own && own.projectId === projectId && now < own.until) {
      stats.rateLimits.violations++;
      stats.rateLimits.worstMs = Math.max(stats.rateLimits.worstMs, own.until - now);
    } else if (limited && now > limited[0] + 200 && now < limited[1]) {
      stats.rateLimits.late++;
      stats.rateLimits.worstMs = Math.max(stats.rateLimits.worstMs, limited[1] - now);
    }
    const fault = pick(projectId);
    if (fault?.kind === 'hang') {
      count('hang');
      return;
    }
    if (fault?.kind === 'reset') {
      count('reset');
      req.socket.resetAndDestroy();
      return;
    }
    const answer = (status, headers) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end('{}');
      if (status === 429) {
        stats.rateLimits.answered++;
        const seconds = Number(headers?.['retry-after'] ?? 60);
        limitedUntil.set(projectId, [Date.now(), Date.now() + seconds * 1000]);
        req.socket.faultLimited = { projectId, until: Date.now() + seconds * 1000 };
      }
    };
    if (fault?.kind === 'status') {
      count(String(fault.status));
      if (fault.after === 'delay') setTimeout(() => answer(fault.status, fault.headers), config.delayMs);
      else answer(fault.status, fault.headers);
      return;
    }
    count('200');
    setTimeout(() => {
      if (res.destroyed) return;
      stats.accepted++;
      const at = Date.now();
      stats.firstAcceptAt ??= at - armedAt;
      const body = Buffer.concat(chunks);
      const id = /"event_id":"([0-9a-f]{32})"/.exec(body.subarray(0, 200).toString())?.[1];
      if (id) {
        const seen = ids.get(id) ?? 0;
        ids.set(id, seen + 1);
        if (seen === 0) {
          stats.unique++;
          stats.lastNewAt = at - armedAt;
          const bucket = Math.floor((at - armedAt) / 100);
          while (stats.timeline.length <= bucket) stats.timeline.push(0);
          stats.timeline[bucket]++;
        }
      }
      answer(200);
    }, config.delayMs);
  });
});
ingest.keepAliveTimeout = 60_000;
ingest.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

const control = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.end(JSON.stringify({ ...stats, armedAt, duplicates: stats.accepted - stats.unique }));
    return;
  }
  if (req.method === 'POST' && req.url === '/configure') {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      config = { delayMs: 0, faults: [], ...JSON.parse(text) };
      reset();
      res.end('{}');
    });
    return;
  }
  res.writeHead(404).end();
});

reset();
let ingestPort = 0;
ingest.listen(0, '127.0.0.1', () => {
  ingestPort = ingest.address().port;
  control.listen(0, '127.0.0.1', () => console.log(`ingest ${ingestPort} control ${control.address().port}`));
});
