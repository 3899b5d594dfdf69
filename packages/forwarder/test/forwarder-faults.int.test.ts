import { type ChildProcess, spawn } from 'node:child_process';
import {
  type FaultIngest,
  type IngestDouble,
  startFaultIngest,
  uniqueName,
  waitUntil,
} from '@faultline/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { createForwarder, type LogEntry, type Logger } from '../src/index.js';
import { envelopeBytes, eventIdOf, forwarderCli, produce, useCleanups } from './helpers.js';

// The forwarder against an ingest that fails the way real ones do, from the fault server (its own
// process: fast load-balancer 503s, storms, hangs, resets), and against what Kafka does to a group
// when an instance is SIGKILLed or rolled. Real broker throughout. Faults a real server cannot be
// made to produce on demand are the only reason for the fault server; the membership tests use
// the recording ingest double, whose answers are healthy.
const { defer, double } = useCleanups();
const brokers = inject('kafkaBrokers');
const collect = (logs: LogEntry[]): Logger => {
  const at = (level: LogEntry['level']) => (msg: string, fields?: Record<string, unknown>) =>
    logs.push({ level, msg, ...fields });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
};
const faultIngest = async (): Promise<FaultIngest> => {
  const ingest = await startFaultIngest();
  defer(() => ingest.close());
  return ingest;
};

/** The group's committed offsets summed over the topic's partitions. */
async function committed(groupId: string, topic: string): Promise<number> {
  const admin = new Kafka({ brokers, clientId: 'faults-test', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (entry?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

/** A topic of `n` envelopes (none when `n` is 0) and a forwarder delivering it to `ingest`. */
async function forwardTo(ingest: FaultIngest, name: string, n: number, partitions = 4) {
  const topic = uniqueName(name);
  const groupId = uniqueName(name);
  await produce(
    brokers,
    topic,
    Array.from({ length: n }, (_, i) => envelopeBytes(ingest.dsn(3), i)),
    partitions,
  );
  const logs: LogEntry[] = [];
  const forwarder = createForwarder({
    brokers,
    topic,
    groupId,
    allowedDsns: [ingest.dsn(3)],
    logger: collect(logs),
  });
  defer(() => forwarder.stop());
  await forwarder.start();
  return { topic, groupId, logs, forwarder };
}

/** Waits until the ingest accepted `n` distinct events. */
const untilDelivered = (ingest: FaultIngest, n: number, timeoutMs = 60_000) =>
  waitUntil(async () => ((await ingest.stats()).unique === n ? true : undefined), {
    what: `${n} distinct events at the ingest`,
    timeoutMs,
    intervalMs: 200,
  });

/** Waits until the group committed `n` offsets of the topic. */
const untilCommitted = (groupId: string, topic: string, n: number) =>
  waitUntil(async () => ((await committed(groupId, topic)) === n ? true : undefined), {
    what: 'every offset committed',
  });

/** Runs the forwarder's bin; `exited` resolves with its code and how long after `stop` it took. */
function startCli(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [forwarderCli], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  let signalledAt = 0;
  const exited = new Promise<{ code: number | null; tookMs: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, tookMs: Date.now() - signalledAt })),
  );
  defer(async () => child.kill('SIGKILL'));
  return {
    child,
    exited,
    output: () => stdout,
    consuming: () =>
      waitUntil(() => (/"msg":"consuming"/.test(stdout) ? true : undefined), {
        what: 'the instance consuming',
        timeoutMs: 60_000,
      }),
    signal(signal: NodeJS.Signals) {
      signalledAt = Date.now();
      child.kill(signal);
    },
  };
}

/** Produces `count` envelopes, `perSecond`, in the background; resolves when all are written. */
async function stream(topic: string, dsn: string, count: number, perSecond: number) {
  const producer = new Kafka({ brokers, clientId: 'faults-stream', logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    const step = Math.max(1, Math.round(perSecond / 20));
    for (let i = 0; i < count; i += step) {
      const n = Math.min(step, count - i);
      await producer.send({
        topic,
        messages: Array.from({ length: n }, (_, k) => ({
          partition: (i + k) % 4,
          value: envelopeBytes(dsn, i + k),
        })),
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await producer.disconnect();
  }
}

describe('forwarder under ingest faults', () => {
  it('5% of requests 503 at once (successes after 50 ms): every envelope delivered, the upstream never closed', async () => {
    const ingest = await faultIngest();
    await ingest.configure({ delayMs: 50, faults: [{ kind: 'status', status: 503, rate: 0.05 }] });
    const n = 3000;
    const { topic, groupId, logs, forwarder } = await forwardTo(ingest, 'fast-503', n);
    await untilDelivered(ingest, n);
    const stats = await ingest.stats();
    expect(stats.byOutcome['503']).toBeGreaterThan(60);
    // Before: a few fast 503s among 256 in flight closed the upstream for a growing backoff.
    expect(logs.filter((l) => l.msg.startsWith('upstream closed'))).toEqual([]);
    expect(forwarder.metrics.retried).toBe(stats.byOutcome['503']);
    await untilCommitted(groupId, topic, n);
  });

  it('storms of 503s: closes once per storm, reopens within a second of its end, delivers everything', async () => {
    const ingest = await faultIngest();
    // 1.5 s of every 4 s, from 2 s after the first request, while 1,600 envelopes stream in over 8 s.
    await ingest.configure({
      delayMs: 50,
      faults: [{ kind: 'status', status: 503, storm: { everyMs: 4000, forMs: 1500, offsetMs: 2000 } }],
    });
    const { topic, groupId, logs } = await forwardTo(ingest, 'storms', 0);
    const n = 1600;
    await stream(topic, ingest.dsn(3), n, 200);
    await untilDelivered(ingest, n);
    const stats = await ingest.stats();
    const stormsInRun = stats.storms.filter(([, end]) => end <= (stats.lastNewAt ?? 0));
    expect(stormsInRun.length).toBeGreaterThanOrEqual(2);
    const closed = logs.filter((l) => l.msg.startsWith('upstream closed'));
    const reopened = logs.filter((l) => l.msg === 'upstream reopened');
    expect(closed.length).toBe(stormsInRun.length);
    expect(reopened.length).toBe(stormsInRun.length);
    for (const entry of reopened) {
      // Closed after the storm began; reopened within a second of its end.
      expect(entry.closedForMs as number).toBeLessThanOrEqual(1500 + 1000);
    }
    expect(closed[0]?.reason).toMatch(/^\d+ failures since the last success$/);
    await untilCommitted(groupId, topic, n);
  });

  it('requests that never answer and connections reset mid-request: retried, the partition keeps moving', async () => {
    const ingest = await faultIngest();
    await ingest.configure({
      delayMs: 20,
      faults: [
        { kind: 'hang', rate: 0.03 },
        { kind: 'reset', rate: 0.03 },
      ],
    });
    const n = 600;
    // One partition: a hung request that pinned its slot or the commit would stop everything.
    const { topic, groupId, forwarder } = await forwardTo(ingest, 'hangs', n, 1);
    await untilDelivered(ingest, n, 45_000);
    const stats = await ingest.stats();
    expect(stats.byOutcome.hang).toBeGreaterThan(0);
    expect(stats.byOutcome.reset).toBeGreaterThan(0);
    expect(forwarder.metrics.retried).toBeGreaterThanOrEqual(
      (stats.byOutcome.hang ?? 0) + (stats.byOutcome.reset ?? 0),
    );
    await untilCommitted(groupId, topic, n);
  });

  it('a stop while the ingest answers nothing: ends within its deadlines, and says how many client reports it could not send', async () => {
    const ingest = await faultIngest();
    await ingest.configure({ faults: [{ kind: 'hang' }] });
    const topic = uniqueName('silent-ingest');
    // One event a minute: of 4, one is sent (and never answered), 3 are dropped and wait to be
    // reported to the ingest as a client report.
    await produce(
      brokers,
      topic,
      Array.from({ length: 4 }, (_, i) => envelopeBytes(ingest.dsn(3), i)),
      1,
    );
    const logs: LogEntry[] = [];
    const forwarder = createForwarder({
      brokers,
      topic,
      groupId: uniqueName('silent-ingest'),
      allowedDsns: [ingest.dsn(3)],
      maxEventsPerMinute: 1,
      logger: collect(logs),
    });
    defer(() => forwarder.stop());
    await forwarder.start();
    await waitUntil(
      async () =>
        forwarder.metrics.dropped.max_events_per_minute === 3 && (await ingest.stats()).requests >= 1
          ? true
          : undefined,
      { what: 'one request on the wire and 3 drops counted' },
    );
    const since = Date.now();
    await forwarder.stop();
    const stoppedIn = Date.now() - since;
    console.log(`stopped in ${stoppedIn} ms with the ingest answering nothing`);
    // The grace for requests on the wire (1.5 s), then 5 s for the client report: not the post's
    // own 30 s timeout, which a stop waited out before, once per DSN with reports pending.
    expect(stoppedIn).toBeLessThan(15_000);
    expect(logs.filter((entry) => entry.msg.startsWith('client reports not sent by the stop'))).toEqual([
      expect.objectContaining({ level: 'warn', outcomes: 3 }),
    ]);
    expect(forwarder.metrics.outcomesSent).toBe(0);
  });

  it('429 with Retry-After on 1% of answers: no request for the limited DSN inside its window', async () => {
    const ingest = await faultIngest();
    await ingest.configure({
      delayMs: 20,
      faults: [{ kind: 'status', status: 429, rate: 0.01, after: 'delay', headers: { 'retry-after': '1' } }],
    });
    const n = 600;
    await forwardTo(ingest, 'limited', n);
    await untilDelivered(ingest, n, 45_000);
    const { rateLimits } = await ingest.stats();
    expect(rateLimits.answered).toBeGreaterThan(0);
    expect(rateLimits.violations).toBe(0);
    expect(rateLimits.late).toBe(0);
  });
});

describe('forwarder instances in one group', () => {
  const cliEnv = (ingest: IngestDouble, topic: string, groupId: string) => ({
    FAULTLINE_KAFKA_BROKERS: brokers.join(','),
    FAULTLINE_FORWARDER_TOPIC: topic,
    FAULTLINE_FORWARDER_GROUP: groupId,
    FAULTLINE_FORWARDER_ALLOWED_DSNS: ingest.dsn(3),
  });
  /** Per event id, when the ingest first accepted it. */
  const firstArrivals = (ingest: IngestDouble) => {
    const at = new Map<string, number>();
    for (const r of ingest.requests) {
      const id = r.envelope?.[0].event_id as string | undefined;
      if (r.status === 200 && id && !at.has(id)) at.set(id, r.receivedAt);
    }
    return at;
  };
  /** The longest gap between consecutive first arrivals of one partition's events, from `since`. */
  const longestStall = (ingest: IngestDouble, n: number, since: number) => {
    const arrivals = firstArrivals(ingest);
    let longest = 0;
    for (let p = 0; p < 4; p++) {
      const times = [...Array(n).keys()]
        .filter((i) => i % 4 === p)
        .map((i) => arrivals.get(eventIdOf(i)) as number)
        .filter((t) => t >= since)
        .sort((x, y) => x - y);
      for (let i = 1; i < times.length; i++)
        longest = Math.max(longest, (times[i] as number) - (times[i - 1] as number));
    }
    return longest;
  };
  const duplicatesAt = (ingest: IngestDouble) =>
    ingest.requests.filter((r) => r.status === 200 && r.envelope?.[0].event_id).length -
    firstArrivals(ingest).size;

  it('one of two SIGKILLed: the other resumes its partitions within 15 s and delivers everything', async () => {
    const ingest = await double();
    const topic = uniqueName('sigkill');
    const groupId = uniqueName('sigkill');
    await produce(brokers, topic, [], 4);
    const a = startCli(cliEnv(ingest, topic, groupId));
    const b = startCli(cliEnv(ingest, topic, groupId));
    await a.consuming();
    await b.consuming();
    const n = 2400; // 100 a second for 24 s, each partition every 40 ms
    const streaming = stream(topic, ingest.dsn(3), n, 100);
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const killedAt = Date.now();
    b.signal('SIGKILL');
    await streaming;
    await waitUntil(() => (firstArrivals(ingest).size === n ? true : undefined), {
      what: `${n} distinct events at the ingest`,
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    // The killed instance's partitions stall until the group lets it go; the longest gap between
    // consecutive arrivals of one partition's events is that stall.
    const longest = longestStall(ingest, n, killedAt - 1000);
    const duplicates = duplicatesAt(ingest);
    console.log(`SIGKILL of one of two: longest stall ${longest} ms, ${duplicates} duplicates delivered`);
    expect(longest).toBeGreaterThan(5000); // it did stall: the session had to time out
    expect(longest).toBeLessThan(15_000);
    // What the killed instance delivered and had not committed yet (at most 500 ms of it).
    expect(duplicates).toBeLessThan(200);
    a.signal('SIGTERM');
    expect((await a.exited).code).toBe(0);
  }, 120_000);

  it('a rolling restart of three instances: each hands over within 3 s, nothing lost, nothing acknowledged sent twice', async () => {
    const ingest = await double();
    const topic = uniqueName('rolling');
    const groupId = uniqueName('rolling');
    await produce(brokers, topic, [], 4);
    const env = cliEnv(ingest, topic, groupId);
    const instances = [startCli(env), startCli(env), startCli(env)];
    for (const instance of instances) await instance.consuming();
    const n = 2000; // 100 a second for 20 s
    const streaming = stream(topic, ingest.dsn(3), n, 100);
    const handovers: number[] = [];
    const rollingFrom = Date.now();
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const old = instances[i] as ReturnType<typeof startCli>;
      old.signal('SIGTERM');
      const { code, tookMs } = await old.exited;
      expect(code).toBe(0);
      handovers.push(tookMs);
      const replacement = startCli(env);
      await replacement.consuming();
      instances.push(replacement);
    }
    await streaming;
    await waitUntil(() => (firstArrivals(ingest).size === n ? true : undefined), {
      what: `${n} distinct events at the ingest`,
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    await untilCommitted(groupId, topic, n);
    const duplicates = duplicatesAt(ingest);
    // Each partition's events arrive every 40 ms; a handover shows as the gap around it.
    const stall = longestStall(ingest, n, rollingFrom);
    console.log(
      `rolling restart: stops took ${handovers.join(', ')} ms, longest stall of a partition ${stall} ms, ${duplicates} duplicates delivered`,
    );
    for (const ms of handovers) expect(ms).toBeLessThan(3000);
    expect(stall).toBeLessThan(3000);
    // A stopping instance commits what it delivered before it leaves, and the others commit when
    // the rebalance starts: what is sent twice is at most what was on the wire at that moment.
    expect(duplicates).toBeLessThan(30);
    for (const instance of instances.slice(3)) instance.signal('SIGTERM');
    for (const instance of instances.slice(3)) expect((await instance.exited).code).toBe(0);
  }, 150_000);
});
